"""One source for what each warehouse column means (issue_assets/catalog.py): the Dagster catalog (each table
asset's `dagster/column_schema` and `dagster/table_name`) and docs/reference.md say the same.

That the schema equals the columns DuckDB holds after a run is tested in tests/test_graph.py, on the graph's run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from issue_assets.catalog import ROW_TABLES, TABLES, markdown
from issue_assets.warehouse import SCHEMAS, Warehouse

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("render_catalog", ROOT / "scripts" / "render_catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_assets() -> dict[str, dg.AssetSpec]:
    """Table name -> the spec of the asset that writes it, from the Definitions."""
    from issue_assets.definitions import defs

    return {spec.metadata["dagster/table_name"].split(".")[-1]: spec for spec in defs().resolve_all_asset_specs()
            if "dagster/table_name" in spec.metadata}


def test_every_column_of_every_table_is_described_once():
    assert len(TABLES) == 14
    for table in TABLES.values():
        names = table.column_names
        assert len(names) == len(set(names)), table.name
        for column in table.columns:
            assert column.description.strip().endswith("."), (table.name, column.name)
            assert column.type.upper() == column.type, (table.name, column.name)


def test_each_table_asset_carries_the_catalogs_columns_and_table_name():
    assets = table_assets()
    assert set(assets) == {name for name, table in TABLES.items() if table.asset}  # all but fetch_state
    for name, spec in assets.items():
        assert spec.key.to_user_string() == TABLES[name].asset
        assert spec.metadata["dagster/table_name"] == f"warehouse.main.{name}"
        schema = spec.metadata["dagster/column_schema"]
        assert [(c.name, c.type, c.description) for c in schema.columns] == [
            (c.name, c.type, c.description) for c in TABLES[name].columns], name


def test_the_reference_shows_the_catalog_as_it_is():
    script = _script()
    page = script.PAGE.read_text(encoding="utf-8")
    assert script.rendered(page) == page, "docs/reference.md is stale: run .venv/bin/python scripts/render_catalog.py"
    assert markdown() in page
    # Each column's meaning appears in the page, on its table's row (a renamed column shows up here).
    for table in TABLES.values():
        for column in table.columns:
            assert f"| `{column.name}` | `{column.type}` |" in page, (table.name, column.name)


def test_a_stale_reference_is_caught(tmp_path):
    script = _script()
    page = script.PAGE.read_text(encoding="utf-8")
    stale = page.replace("Labels it defines beyond GitHub's nine defaults.", "Custom labels.", 1)
    assert stale != page and script.rendered(stale) == page
    with pytest.raises(ValueError, match="one pair of catalog markers"):
        script.rendered(page.replace(script.END, ""))


def test_the_warehouse_creates_and_stores_the_catalogs_types(tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    # Row-by-row tables are created up front from the catalog.
    assert set(SCHEMAS) == set(ROW_TABLES)
    columns = warehouse.read("SELECT table_name, column_name, data_type FROM information_schema.columns "
                             "ORDER BY table_name, ordinal_position")
    for name in ROW_TABLES:
        rows = columns[columns["table_name"] == name]
        assert list(zip(rows["column_name"], rows["data_type"], strict=True)) == [
            (c.name, c.type) for c in TABLES[name].columns]
    # A derived table gets the catalog's types whatever the frame's (a column of nulls would be INTEGER).
    table = TABLES["annotation_agreement"]
    empty = pd.DataFrame({c: [None] for c in table.column_names})
    warehouse.replace_table("annotation_agreement", empty)
    stored = warehouse.read("SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_name = 'annotation_agreement' ORDER BY ordinal_position")
    assert list(zip(stored["column_name"], stored["data_type"], strict=True)) == [(c.name, c.type)
                                                                                   for c in table.columns]
    with pytest.raises(ValueError, match=r"missing \['strength'\], not in the catalog \['grade'\]"):
        warehouse.replace_table("annotation_agreement", empty.rename(columns={"strength": "grade"}))
