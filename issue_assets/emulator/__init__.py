"""The fake GitHub, a test and demo tool: the emulator's HTTP server (``server``), the snapshot format
it serves (``snapshot``), GitHub's object shapes (``objects``) and synthetic snapshots (``generator``,
``texts``). Nothing that mines or analyses issues imports it."""
