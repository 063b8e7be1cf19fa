"""Materialization helpers: Markdown previews of tables, and storing a derived table with its row count."""

import math

import dagster as dg
import pandas as pd

from issue_assets.defs.tables import stored_metadata
from issue_assets.warehouse import Warehouse


def _number(value: object) -> object:
    """Whole numbers as integers (``24,953``, not ``2.5e+04``), others to 3 significant digits."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:.3g}"
    return value


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown table, its numbers formatted for reading (a column may mix counts and shares)."""
    shown = frame.copy()
    numeric = [pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype) for dtype in shown.dtypes]
    for column in shown.columns[shown.dtypes.map(pd.api.types.is_float_dtype).to_numpy()]:
        shown[column] = shown[column].astype(object).map(_number)
    return shown.to_markdown(index=False, disable_numparse=True,
                             colalign=["right" if is_number else "left" for is_number in numeric])


def preview(frame: pd.DataFrame, rows: int = 10, columns: list[str] | None = None) -> dg.MarkdownMetadataValue:
    shown = frame.reindex(columns=columns) if columns else frame
    if shown.empty:
        return dg.MetadataValue.md("_no rows_")
    return dg.MetadataValue.md(markdown_table(shown.head(rows)))


def stored_table(warehouse: Warehouse, name: str, frame: pd.DataFrame, **metadata) -> dg.MaterializeResult:
    """Replace warehouse table ``name`` with ``frame``; the materialization carries its row count, its DuckDB
    name and ``metadata``."""
    warehouse.replace_table(name, frame)
    return dg.MaterializeResult(metadata={**stored_metadata(warehouse, name, len(frame)), **metadata})
