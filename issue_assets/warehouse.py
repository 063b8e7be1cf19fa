"""The DuckDB warehouse: table schemas, short-lived connections that wait for the file lock,
and the transactional writes the assets rely on.

One DuckDB file admits one writing process at a time. Every access here opens a connection,
does its work and closes it again, so a process holds the lock for the length of one statement
batch; a process that finds the file locked waits (jittered exponential backoff) up to
``lock_timeout`` seconds instead of failing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

# Table → (column, DuckDB type). The column order is the table's.
SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "repositories": [
        ("repo", "VARCHAR"), ("paper", "VARCHAR"), ("conference", "VARCHAR"), ("year", "INTEGER"),
        ("framework", "VARCHAR"), ("owner_type", "VARCHAR"), ("papers", "INTEGER"), ("source", "VARCHAR"),
        ("listed", "BOOLEAN"), ("first_listed_at", "TIMESTAMP"), ("last_listed_at", "TIMESTAMP"),
    ],
    "repo_metadata": [
        ("repo", "VARCHAR"), ("full_name", "VARCHAR"), ("state", "VARCHAR"), ("http_status", "INTEGER"),
        ("message", "VARCHAR"), ("github_id", "BIGINT"), ("description", "VARCHAR"), ("stars", "INTEGER"),
        ("forks", "INTEGER"), ("watchers", "INTEGER"), ("open_issues_and_prs", "INTEGER"),
        ("language", "VARCHAR"), ("license", "VARCHAR"), ("archived", "BOOLEAN"), ("is_fork", "BOOLEAN"),
        ("has_issues", "BOOLEAN"), ("account_type", "VARCHAR"), ("created_at", "TIMESTAMP"),
        ("pushed_at", "TIMESTAMP"), ("labels", "VARCHAR[]"), ("n_labels_defined", "INTEGER"),
        ("n_custom_labels", "INTEGER"), ("contributors", "INTEGER"), ("fetched_at", "TIMESTAMP"),
    ],
    "raw_issues": [
        ("repo", "VARCHAR"), ("number", "INTEGER"), ("id", "BIGINT"), ("title", "VARCHAR"), ("body", "VARCHAR"),
        ("state", "VARCHAR"), ("state_reason", "VARCHAR"), ("user_login", "VARCHAR"),
        ("author_association", "VARCHAR"), ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
        ("closed_at", "TIMESTAMP"), ("closed_by", "VARCHAR"), ("comments", "INTEGER"), ("labels", "VARCHAR[]"),
        ("assignees", "VARCHAR[]"), ("milestone", "VARCHAR"), ("locked", "BOOLEAN"), ("reactions", "INTEGER"),
        ("is_pull_request", "BOOLEAN"), ("html_url", "VARCHAR"), ("fetched_at", "TIMESTAMP"),
        # When a complete listing of the repository first lacked the issue (deleted or transferred):
        # the row is kept as it was last seen, and the analysis leaves it out.
        ("deleted_at", "TIMESTAMP"),
    ],
    # The text features of each issue (features.TEXT_COLUMNS) for the text whose digest is given: labeled
    # once per text and classifier, by issue_texts as repositories are fetched or by labeled_issues.
    "issue_texts": [
        ("repo", "VARCHAR"), ("number", "INTEGER"), ("text_digest", "VARCHAR"), ("category", "VARCHAR"),
        ("confidence", "DOUBLE"), ("evidence", "VARCHAR"), ("title_length", "INTEGER"), ("body_length", "INTEGER"),
        ("body_lines", "INTEGER"), ("has_code_block", "BOOLEAN"), ("has_url", "BOOLEAN"),
        ("title_language", "VARCHAR"), ("english_title", "BOOLEAN"), ("english", "BOOLEAN"),
        ("sentiment_title", "DOUBLE"), ("sentiment_body", "DOUBLE"),
    ],
    # What a refresh of one repository resumes from; written in the same transaction as its rows.
    "fetch_state": [
        ("repo", "VARCHAR"), ("issues_cursor", "VARCHAR"), ("newest_event_id", "BIGINT"),
        ("closers_complete", "BOOLEAN"), ("pull_requests", "INTEGER"), ("last_fetched_at", "TIMESTAMP"),
    ],
}


class WarehouseLocked(RuntimeError):
    """Another process kept the DuckDB file locked for longer than the lock timeout."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used by another process" in text


class Warehouse:
    """The DuckDB file at ``path``; ``":memory:"`` for a private in-memory database (tests)."""

    def __init__(self, path: str | Path, lock_timeout: float = 900.0,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None):
        self.path = str(path)
        self.lock_timeout = lock_timeout
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._memory = duckdb.connect(":memory:") if self.path == ":memory:" else None
        self._schema_ready = False  # tables are never dropped: checking them once per object is enough
        if self._memory is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self._memory is not None:
            return self._memory.cursor()
        waited, delay = 0.0, 0.05
        while True:
            try:
                return duckdb.connect(self.path)
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if not _is_lock_error(exc):
                    raise
                if waited >= self.lock_timeout:
                    raise WarehouseLocked(
                        f"{self.path} stayed locked by another process for {waited:.0f} s "
                        f"(lock timeout {self.lock_timeout:.0f} s): {exc}") from exc
                pause = min(delay * (0.5 + self._rng.random()), self.lock_timeout - waited, 5.0)
                self._sleep(pause)
                waited += pause
                delay = min(delay * 2, 5.0)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with every table created; closed (and the file lock released) on exit."""
        conn = self._open()
        try:
            if not self._schema_ready:
                ensure_schema(conn)
                self._schema_ready = True
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connect() as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def read(self, sql: str, params: Sequence | None = None) -> pd.DataFrame:
        with self.connect() as conn:
            return conn.execute(sql, params or []).df()

    def table(self, name: str) -> pd.DataFrame:
        with self.connect() as conn:
            return read_table(conn, name)

    def replace_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace a whole derived table (its schema follows the frame)."""
        with self.transaction() as conn:
            conn.register("_frame", frame)
            conn.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _frame')
            conn.unregister("_frame")


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the tables; a warehouse written by an earlier version gets the columns added since
    (as nulls), so upgrading never needs a new fetch."""
    existing = set(conn.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall())
    for name, columns in SCHEMAS.items():
        body = ", ".join(f'"{column}" {kind}' for column, kind in columns)
        conn.execute(f'CREATE TABLE IF NOT EXISTS "{name}" ({body})')
        if any(table == name for table, _ in existing):
            for column, kind in columns:
                if (name, column) not in existing:
                    conn.execute(f'ALTER TABLE "{name}" ADD COLUMN "{column}" {kind}')


def read_table(conn: duckdb.DuckDBPyConnection, name: str, where: str = "", params: Sequence = ()) -> pd.DataFrame:
    exists = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    if not exists or not exists[0]:
        return pd.DataFrame(columns=[c for c, _ in SCHEMAS.get(name, [])])
    return conn.execute(f'SELECT * FROM "{name}" {where}', list(params)).df()


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The frame with exactly the table's columns, in order (missing ones are null)."""
    return frame.reindex(columns=[c for c, _ in SCHEMAS[table]])


def insert(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    conn.register("_rows", conform(frame, table))
    columns = ", ".join(f'"{c}"' for c, _ in SCHEMAS[table])
    conn.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM _rows')
    conn.unregister("_rows")


def replace_rows(conn: duckdb.DuckDBPyConnection, table: str, repo: str, frame: pd.DataFrame) -> None:
    """Replace exactly one repository's rows of a per-repository table."""
    conn.execute(f'DELETE FROM "{table}" WHERE repo = ?', [repo])
    insert(conn, table, frame)


def table_digest(frame: pd.DataFrame, ignore: Sequence[str] = ()) -> str:
    """SHA-256 of a table's content, independent of row and column order: two warehouses with equal
    digests hold the same rows. ``ignore``: columns that legitimately differ (fetch times)."""
    import hashlib

    kept = frame.drop(columns=[c for c in ignore if c in frame.columns])
    kept = kept.reindex(columns=sorted(kept.columns))
    text = kept.astype(str).sort_values(list(kept.columns)).to_csv(index=False) if len(kept.columns) else ""
    return hashlib.sha256(text.encode()).hexdigest()
