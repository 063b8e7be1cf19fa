"""The DuckDB warehouse: table schemas, short-lived connections that wait for the file lock,
and every query of the product: the named reads and writes the assets and the core call (no SQL
is written anywhere else).

One DuckDB file admits one writing process at a time (or any number of read-only ones). Every
access here opens a connection, does its work and closes it again, so a process holds the lock for
the length of one statement batch; a process that finds the file locked waits (jittered exponential
backoff) up to ``lock_timeout`` seconds instead of failing. :func:`open_connection` is the one place
that opens the file: the Dagster resource (``defs.resources.WarehouseResource``, a
``dagster_duckdb.DuckDBResource``) opens its connections through it and hands the
:class:`Warehouse` its ``get_connection``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pandas as pd

from issue_assets.catalog import ROW_TABLES, TABLES

if TYPE_CHECKING:
    from issue_assets.sources.repositories import RegistryUpdate

# Table → (column, DuckDB type), in the table's order, of the tables written row by row: created up front
# and widened in place (``ensure_schema``). ``catalog.TABLES`` describes these and every other table.
SCHEMAS: dict[str, list[tuple[str, str]]] = {
    name: [(column.name, column.type) for column in TABLES[name].columns] for name in ROW_TABLES
}


# Deleted or transferred issues stay in raw_issues (as last seen), not in the analysis.
def _listed_issues_sql(columns: Sequence[str] | None = None) -> str:
    selected = ", ".join(f'i."{c}"' for c in columns) if columns else "i.* EXCLUDE (deleted_at)"
    return f"""
        SELECT {selected} FROM raw_issues i JOIN repositories r ON r.repo = i.repo AND r.listed
        WHERE i.deleted_at IS NULL
        ORDER BY i.repo, i.number
    """


# The digest of an issue's text under a version of the text features (the parameter).
_DIGEST = "md5(? || coalesce(i.title, '') || chr(0) || coalesce(i.body, ''))"
TEXT_KEYS = ["repo", "number", "text_digest"]
# An issue's observation time is its repository's last successful fetch, not the fetch that last
# brought the issue: a refresh asks only for issues updated since its cursor, and so confirms that
# every other issue is unchanged (an open one still open) at that time.
_LISTED_WITHOUT_BODIES_SQL = f"""
    SELECT i.* EXCLUDE (deleted_at, body, fetched_at),
           greatest(i.fetched_at, f.last_fetched_at) AS fetched_at, {_DIGEST} AS text_digest
    FROM raw_issues i JOIN repositories r ON r.repo = i.repo AND r.listed
    LEFT JOIN fetch_state f ON f.repo = i.repo
    WHERE i.deleted_at IS NULL
    ORDER BY i.repo, i.number
"""
_REPOSITORY_DIGESTS_SQL = f"""
    SELECT i.repo, i.number, {_DIGEST} AS text_digest FROM raw_issues i
    WHERE i.deleted_at IS NULL AND list_contains(?, i.repo)
    ORDER BY i.repo, i.number
"""


class WarehouseLocked(RuntimeError):
    """Another process kept the DuckDB file locked for longer than the lock timeout."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used by another process" in text


def _is_configuration_clash(exc: Exception) -> bool:
    # DuckDB refuses a second connection to a file this process holds open with other settings
    # (read-only against read-write, or another config) until the first one is closed.
    return "different configuration" in str(exc).lower()


def open_connection(database: str | Path, *, read_only: bool = False, config: Mapping[str, Any] | None = None,
                    lock_timeout: float = 900.0, sleep: Callable[[float], None] = time.sleep,
                    rng: random.Random | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file ``database``, waiting (jittered exponential backoff, at most
    ``lock_timeout`` seconds) while another process holds the file's lock.

    ``read_only`` connections of several processes coexist, but not with another process's writer
    (DuckDB locks the file for either). A read-only connection asked for while this process holds the
    file open for writing joins that instead: DuckDB allows one configuration per file and process."""
    rng = rng or random.Random()
    waited, delay = 0.0, 0.05
    while True:
        try:
            return duckdb.connect(str(database), read_only=read_only, config=dict(config or {}))
        except duckdb.ConnectionException as exc:
            if not _is_configuration_clash(exc):
                raise
            if read_only:
                read_only = False  # this process writes to the file: read through the same database
                continue
            failure: Exception = exc  # another thread's read-only connection: it closes soon
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            failure = exc
        if waited >= lock_timeout:
            raise WarehouseLocked(f"{database} stayed locked by another process for {waited:.0f} s "
                                  f"(lock timeout {lock_timeout:.0f} s): {failure}") from failure
        pause = min(delay * (0.5 + rng.random()), lock_timeout - waited, 5.0)
        sleep(pause)
        waited += pause
        delay = min(delay * 2, 5.0)


class Connector(Protocol):
    """Opens a connection for one batch of statements and closes it on exit (``get_connection`` of the
    Dagster resource has this shape)."""

    def __call__(self, read_only: bool = False) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...


class Warehouse:
    """The DuckDB file at ``path``; ``":memory:"`` for a private in-memory database (tests).

    ``connector`` opens its connections: the Dagster resource's ``get_connection`` in runs; by
    default :func:`open_connection` with ``lock_timeout``, ``sleep`` and ``rng``. Named reads use
    read-only connections (once the tables exist), so readers in several processes (runs, the UI's
    schedule, a shell) do not wait for one another, only for a writer."""

    def __init__(self, path: str | Path, lock_timeout: float = 900.0,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 connector: Connector | None = None):
        self.path = str(path)
        self.lock_timeout = lock_timeout
        self._memory = duckdb.connect(":memory:") if self.path == ":memory:" else None
        self._connector = connector or self._default_connector(sleep, rng or random.Random())
        self._schema_ready = False  # tables are never dropped: checking them once per object is enough
        if self._memory is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)

    def _default_connector(self, sleep: Callable[[float], None], rng: random.Random) -> Connector:
        @contextmanager
        def connections(read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
            conn = open_connection(self.path, read_only=read_only, lock_timeout=self.lock_timeout, sleep=sleep,
                                   rng=rng)
            try:
                yield conn
            finally:
                conn.close()

        return connections

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with every table created; closed (and the file lock released) on exit.
        ``read_only``: for reads (the first connection of this object writes: it creates the tables)."""
        if self._memory is not None:
            conn = self._memory.cursor()
            try:
                self._ensure_schema(conn)
                yield conn
            finally:
                conn.close()
            return
        with self._connector(read_only=read_only and self._schema_ready) as conn:
            self._ensure_schema(conn)
            yield conn

    def _ensure_schema(self, conn: duckdb.DuckDBPyConnection) -> None:
        if not self._schema_ready:
            ensure_schema(conn)
            self._schema_ready = True

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
        """An ad-hoc query (tests, benchmarks, a shell); the product calls the named reads below."""
        with self.connect(read_only=True) as conn:
            return conn.execute(sql, params or []).df()

    def table(self, name: str) -> pd.DataFrame:
        with self.connect(read_only=True) as conn:
            return read_table(conn, name)

    def replace_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace a whole derived table. A table of the catalog gets the catalog's columns and types,
        whatever the frame's types (a column of nulls included); the frame must have exactly those columns.
        Another table's schema follows the frame (tests, a shell)."""
        table = TABLES.get(name)
        if table is not None and sorted(frame.columns) != sorted(table.column_names):
            raise ValueError(f"{name}: the frame's columns differ from the catalog's (issue_assets/catalog.py): "
                             f"missing {sorted(set(table.column_names) - set(frame.columns))}, "
                             f"not in the catalog {sorted(set(frame.columns) - set(table.column_names))}")
        with self.transaction() as conn:
            conn.register("_frame", frame)
            if table is None:
                conn.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _frame')
            else:
                body = ", ".join(f'"{c.name}" {c.type}' for c in table.columns)
                columns = ", ".join(f'"{c.name}"' for c in table.columns)
                conn.execute(f'CREATE OR REPLACE TABLE "{name}" ({body})')
                conn.execute(f'INSERT INTO "{name}" ({columns}) SELECT {columns} FROM _frame')
            conn.unregister("_frame")

    def qualified_name(self, table: str) -> str:
        """``catalog.schema.table`` as DuckDB names it (the catalog is the file's name without extension)."""
        catalog = "memory" if self._memory is not None else Path(self.path).stem
        return f"{catalog}.main.{table}"

    def row_count(self, name: str) -> int:
        with self.connect(read_only=True) as conn:
            return int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])

    def columns(self, name: str, columns: Sequence[str], repos: Sequence[str] | None = None) -> pd.DataFrame:
        """Some columns of a table (a check reads what its rules read, not a million bodies); ``repos``:
        only those repositories' rows."""
        selected = ", ".join(f'"{c}"' for c in columns)
        where, params = ("WHERE list_contains(?, repo)", [list(repos)]) if repos is not None else ("", [])
        with self.connect(read_only=True) as conn:
            return conn.execute(f'SELECT {selected} FROM "{name}" {where}', params).df()

    # The repository list (ai_repositories).

    def listed_repositories(self) -> pd.DataFrame:
        """The rows of the repositories on the current list (``listed``)."""
        with self.connect(read_only=True) as conn:
            return read_table(conn, "repositories", "WHERE listed")

    def listed_repository_names(self) -> set[str]:
        return set(self.listed_repositories()["repo"])

    def repositories_fetched_since(self, moment: pd.Timestamp | datetime) -> set[str]:
        """Repositories whose last fetch began at or after ``moment`` (naive UTC): their metadata row
        is written by every fetch, the unavailable ones included."""
        with self.connect(read_only=True) as conn:
            rows = conn.execute("SELECT repo FROM repo_metadata WHERE fetched_at >= ?", [moment]).fetchall()
        return {repo for (repo,) in rows}

    def update_repositories(self, listing: pd.DataFrame, now: pd.Timestamp) -> RegistryUpdate:
        """Merge a new repository list into the registry in one transaction (``update_registry``):
        repositories that left it keep their rows with ``listed = false``."""
        from issue_assets.sources.repositories import update_registry

        with self.transaction() as conn:
            update = update_registry(read_table(conn, "repositories"), listing, now)
            conn.execute("DELETE FROM repositories")
            insert(conn, "repositories", update.table)
        return update

    # Issues, as the analysis reads them.

    def issue_counts(self) -> tuple[int, int]:
        """Stored issues: live ones, and those deleted or transferred (kept as last seen)."""
        with self.connect(read_only=True) as conn:
            live, deleted = conn.execute("SELECT count(*) FILTER (deleted_at IS NULL), "
                                         "count(*) FILTER (deleted_at IS NOT NULL) FROM raw_issues").fetchone()
        return int(live), int(deleted)

    def listed_issues(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The live raw issues of the listed repositories (``columns``, default all), by repo and number."""
        with self.connect(read_only=True) as conn:
            return conn.execute(_listed_issues_sql(columns)).df()

    def listed_issue_count(self) -> int:
        with self.connect(read_only=True) as conn:
            return int(conn.execute(f"SELECT count(*) FROM ({_listed_issues_sql(['repo'])})").fetchone()[0])

    def analysis_issues(self) -> pd.DataFrame:
        """labeled_issues without its text columns (title, evidence, digest): what the tables computed
        from it read."""
        with self.connect(read_only=True) as conn:
            return conn.execute("SELECT * EXCLUDE (title, evidence, text_digest) FROM labeled_issues "
                                "ORDER BY repo, number").df()

    def issues_to_code(self) -> pd.DataFrame:
        """The labeled issues with the text a coder reads (the annotation sample's population)."""
        with self.connect(read_only=True) as conn:
            return conn.execute(f"""
                SELECT l.repo, l.number, l.category, l.confidence, r.title, r.body, r.html_url
                FROM labeled_issues l JOIN ({_listed_issues_sql(["repo", "number", "title", "body", "html_url"])}) r
                USING (repo, number) ORDER BY l.repo, l.number""").df()

    def previous_fetches(self, repos: Sequence[str]) -> pd.DataFrame:
        """What the GraphQL path compares a refresh with, per repository of ``repos``: its cursor row
        (fetch_state), its stored metadata (pushed_at, contributors, labels) and its live issue numbers."""
        with self.connect(read_only=True) as conn:
            return conn.execute("""
                SELECT w.repo, f.issues_cursor, f.newest_event_id, f.closers_complete, f.pull_requests,
                       m.pushed_at, m.contributors, m.labels, m.state AS metadata_state,
                       (SELECT list(i.number ORDER BY i.number) FROM raw_issues i
                        WHERE i.repo = w.repo AND i.deleted_at IS NULL) AS live_numbers,
                       (SELECT count(*) FROM fetch_state s WHERE s.repo = w.repo) > 0 AS fetched
                FROM (SELECT unnest(?) AS repo) w
                LEFT JOIN fetch_state f USING (repo) LEFT JOIN repo_metadata m USING (repo)
                ORDER BY w.repo""", [list(repos)]).df()

    def contributors(self) -> pd.Series:
        """Contributors per repository (``repo_metadata``), indexed by repo."""
        with self.connect(read_only=True) as conn:
            frame = conn.execute("SELECT repo, contributors FROM repo_metadata").df()
        return frame.set_index("repo")["contributors"]

    # Text features (issue_texts): labeled once per text and classifier.

    def listed_issues_for_labeling(self, version: str) -> pd.DataFrame:
        """The live issues of the listed repositories without their bodies, each with the digest of its
        text under ``version`` and observed until its repository's last successful fetch."""
        with self.connect(read_only=True) as conn:
            return conn.execute(_LISTED_WITHOUT_BODIES_SQL, [version]).df()

    def text_digests(self, repos: Sequence[str], version: str) -> pd.DataFrame:
        """``repo, number, text_digest`` of the live issues of ``repos``."""
        with self.connect(read_only=True) as conn:
            return conn.execute(_REPOSITORY_DIGESTS_SQL, [version, list(repos)]).df()

    def unlabeled(self, keys: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``keys`` (repo, number, text_digest) with no stored text features."""
        with self.connect(read_only=True) as conn:
            conn.register("_keys", keys[TEXT_KEYS])
            missing = conn.execute("SELECT k.* FROM _keys k ANTI JOIN issue_texts t USING (repo, number, text_digest) "
                                   "ORDER BY k.repo, k.number").df()
            conn.unregister("_keys")
        return missing

    def texts_to_label(self, keys: pd.DataFrame, version: str) -> pd.DataFrame:
        """Title, body and text digest of the issues ``keys`` (repo, number): the digest comes from the
        text read, whatever changed since the keys were taken."""
        with self.connect(read_only=True) as conn:
            conn.register("_wanted", keys[["repo", "number"]])
            texts = conn.execute(f"SELECT w.repo, w.number, i.title, i.body, {_DIGEST} AS text_digest "
                                 "FROM _wanted w JOIN raw_issues i USING (repo, number) ORDER BY w.repo, w.number",
                                 [version]).df()
            conn.unregister("_wanted")
        return texts

    def store_text_features(self, rows: pd.DataFrame) -> None:
        """Replace the text features of these issues (repo, number) in one transaction."""
        with self.transaction() as conn:
            conn.register("_labeled", rows[["repo", "number"]])
            conn.execute("DELETE FROM issue_texts t WHERE EXISTS "
                         "(SELECT 1 FROM _labeled l WHERE l.repo = t.repo AND l.number = t.number)")
            conn.unregister("_labeled")
            insert(conn, "issue_texts", rows)

    def remove_stale_text_features(self, repos: Sequence[str], keys: pd.DataFrame) -> int:
        """Remove the text features of ``repos`` whose text is not among ``keys`` any more (changed,
        deleted or transferred issues); returns how many."""
        with self.transaction() as conn:
            conn.register("_keys", keys[TEXT_KEYS])
            removed = conn.execute("DELETE FROM issue_texts t WHERE list_contains(?, t.repo) AND NOT EXISTS "
                                   "(SELECT 1 FROM _keys k WHERE k.repo = t.repo AND k.number = t.number "
                                   "AND k.text_digest = t.text_digest)", [list(repos)]).fetchone()[0]
            conn.unregister("_keys")
        return int(removed)

    def text_features_of(self, keys: pd.DataFrame) -> pd.DataFrame:
        """The stored text features of each issue of ``keys`` (repo, number), in their order (a row of
        nulls where there are none)."""
        with self.connect(read_only=True) as conn:
            conn.register("_keys", keys[["repo", "number"]])
            # By (repo, number): an issue whose text changed while it was labeled keeps the features and
            # digest of the text labeled.
            texts = conn.execute("SELECT t.* FROM _keys k LEFT JOIN issue_texts t USING (repo, number) "
                                 "ORDER BY k.repo, k.number").df()
            conn.unregister("_keys")
        return texts


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
        return pd.DataFrame(columns=TABLES[name].column_names if name in TABLES else [])
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


def repository_rows(conn: duckdb.DuckDBPyConnection, table: str, repo: str) -> pd.DataFrame:
    """One repository's rows of a per-repository table."""
    return read_table(conn, table, "WHERE repo = ?", [repo])


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
