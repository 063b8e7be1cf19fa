"""Materialization helpers: Markdown previews of tables, and storing a derived table with its row count."""


import dagster as dg
import pandas as pd

from issue_assets.defs.resources import WarehouseResource


def preview(frame: pd.DataFrame, rows: int = 10, columns: list[str] | None = None) -> dg.MarkdownMetadataValue:
    shown = frame.reindex(columns=columns) if columns else frame
    if shown.empty:
        return dg.MetadataValue.md("_no rows_")
    return dg.MetadataValue.md(shown.head(rows).to_markdown(index=False, floatfmt=".3g"))


def stored_table(warehouse: WarehouseResource, name: str, frame: pd.DataFrame, **metadata) -> dg.MaterializeResult:
    """Replace warehouse table ``name`` with ``frame``; the materialization carries its row count and ``metadata``."""
    warehouse.get().replace_table(name, frame)
    return dg.MaterializeResult(metadata={"dagster/row_count": len(frame), **metadata})
