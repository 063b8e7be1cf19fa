"""Materialization metadata helpers: Markdown previews of tables."""


import dagster as dg
import pandas as pd


def preview(frame: pd.DataFrame, rows: int = 10, columns: list[str] | None = None) -> dg.MarkdownMetadataValue:
    shown = frame.reindex(columns=columns) if columns else frame
    if shown.empty:
        return dg.MetadataValue.md("_no rows_")
    return dg.MetadataValue.md(shown.head(rows).to_markdown(index=False, floatfmt=".3g"))
