"""What the Dagster catalog says about each asset beyond its description: the DuckDB table it writes with the
columns and their meaning (``issue_assets/catalog.py``), its owners, the question of the study it serves,
and how fresh it is expected to be."""

from datetime import timedelta

import dagster as dg

from issue_assets.catalog import TABLES
from issue_assets.warehouse import Warehouse

OWNERS = ["team:issue-assets"]
# The default warehouse file, warehouse.duckdb: DuckDB names its tables warehouse.main.<table>.
DEFAULT_CATALOG = "warehouse"

# With daily_refresh switched on (03:00 UTC) every listed repository is refreshed once a day: a day, plus two
# hours for the refresh of a long list to finish (the study's 576 repositories: 3 minutes when little changed;
# a first mine, about 3,300 requests, within one token's hourly budget)...
FETCHED_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=26))
# ...and two more for the analysis, which follows the last fetch of a refresh (at a million issues, labeling
# what changed and recomputing every table take most of an hour).
ANALYSIS_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=28))


def study_tags(question: str) -> dict[str, str]:
    """``study: rq1`` (what users ask), ``rq2`` (how issues are handled) or ``rq3`` (what goes with closure):
    a filter in the UI's catalog (``tag:study=rq1``)."""
    return {"study": question}


def table_metadata(table: str) -> dict[str, object]:
    """The definition metadata of the asset that writes ``table``: its DuckDB name and its columns (name,
    type, meaning), which the UI's catalog shows on the asset's overview."""
    columns = [dg.TableColumn(c.name, c.type, description=c.description) for c in TABLES[table].columns]
    return {"dagster/table_name": f"{DEFAULT_CATALOG}.main.{table}",
            "dagster/column_schema": dg.TableSchema(columns=columns)}


def stored_metadata(warehouse: Warehouse, table: str, rows: int) -> dict[str, object]:
    """What every materialization of a table asset carries: its row count and where the table is."""
    return {"dagster/row_count": rows, "dagster/table_name": warehouse.qualified_name(table)}
