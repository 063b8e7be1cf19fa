"""issue-assets: mine, label and measure the GitHub issues of open-source AI repositories."""

__version__ = "0.1.0"
