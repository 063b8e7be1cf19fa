"""Tables in materialization metadata: numbers a reader can read."""

from __future__ import annotations

import pandas as pd

from issue_assets.defs.markdown import markdown_table, preview


def test_counts_read_as_integers_and_shares_keep_three_digits_in_one_column():
    frame = pd.DataFrame({"metric": ["issues", "closed_share", "missing"], "value": [24953.0, 0.67512, None],
                          "n": [576, 24953, 3], "flag": [True, False, True]})
    lines = markdown_table(frame).splitlines()
    assert [cell.strip() for cell in lines[0].split("|")[1:-1]] == ["metric", "value", "n", "flag"]
    assert lines[1].startswith("|:-------------|--------:|------:|:-")  # numbers right-aligned
    assert "|  24,953 |" in lines[2] and "|   0.675 |" in lines[3] and "|     nan |" in lines[4]
    assert "e+" not in markdown_table(frame)


def test_previews_are_cut_to_their_rows_and_say_when_empty():
    frame = pd.DataFrame({"repo": [f"o/r{i}" for i in range(30)], "issues": range(30)})
    assert preview(frame, rows=5).value.count("o/r") == 5
    assert preview(frame.iloc[0:0]).value == "_no rows_"
