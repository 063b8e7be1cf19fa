"""Resources: the warehouse, GitHub access, and the repository source."""

import enum
import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from issue_assets import paths
from issue_assets.emulator.generator import demo_snapshot
from issue_assets.github.access import GitHubAccess
from issue_assets.sources.repositories import RepositoryList, SourceError, read_source
from issue_assets.warehouse import Warehouse, open_connection


class WarehouseResource(DuckDBResource):
    """The DuckDB warehouse: dagster-duckdb's ``DuckDBResource`` (``database``, ``connection_config``,
    ``get_connection()``) with what the product needs on top: connections wait for another process's
    lock (jittered backoff up to ``lock_timeout_seconds``), may be read-only, and are closed even when
    the work inside fails. Assets get the :class:`~issue_assets.warehouse.Warehouse` itself
    (``warehouse: dg.ResourceParam[Warehouse]``), which opens every connection through
    :meth:`get_connection` and owns every query."""

    database: str = Field(default="", description="DuckDB file; empty: $ISSUE_ASSETS_HOME/warehouse.duckdb")
    lock_timeout_seconds: float = Field(default=900.0, description="how long to wait for another process's lock "
                                                                   "before failing")

    def database_path(self) -> str:
        return self.database or str(paths.warehouse_path())

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one batch of statements, closed on exit (the library's signature, plus
        ``read_only``). Unlike the library's (ten fixed retries on any I/O error, then a failure), it
        waits for the lock as long as ``lock_timeout_seconds`` allows and fails at once on other errors.
        It sets no ``custom_user_agent``: DuckDB refuses two configurations of one file in one process,
        and the core opens the same file with none (``issue-assets`` between its runs)."""
        conn = open_connection(self.database_path(), read_only=read_only, config=self.connection_config,
                               lock_timeout=self.lock_timeout_seconds)
        try:
            yield conn
        finally:
            conn.close()

    def warehouse(self) -> Warehouse:
        """The Warehouse on this file, opening its connections here."""
        return Warehouse(self.database_path(), lock_timeout=self.lock_timeout_seconds, connector=self.get_connection)

    def create_resource(self, context: dg.InitResourceContext) -> Warehouse:
        return self.warehouse()


class GitHubResource(dg.ConfigurableResource):
    """GitHub API access. Empty fields fall back to GITHUB_API_URL, GITHUB_TOKEN and ISSUE_ASSETS_API, read
    when a run starts, so the same code serves github.com, GitHub Enterprise and the emulator."""

    api_url: str = Field(default="", description="empty: $GITHUB_API_URL or https://api.github.com")
    etag_cache: str = Field(default="", description="SQLite ETag cache; empty: $ISSUE_ASSETS_HOME/etags.sqlite")
    parallel_repositories: int = Field(default=4, description="repositories fetched at once within a run")
    max_wait_seconds: float = Field(default=3900.0, description="longest wait for a rate-limit reset")
    api: str = Field(default="", description="auto | graphql | rest; empty: $ISSUE_ASSETS_API or auto (GraphQL "
                                             "when a token is set, REST otherwise)")

    def access(self) -> GitHubAccess:
        """The run's one handle on GitHub: a client per thread, one token budget and ETag cache for all
        (close it when the run is done)."""
        overrides = {"GITHUB_API_URL": self.api_url} if self.api_url else {}
        if self.api:
            overrides["ISSUE_ASSETS_API"] = self.api
        return GitHubAccess.from_env(self.etag_cache or paths.etag_cache_path(), {**os.environ, **overrides},
                                     parallel=self.parallel_repositories, max_wait_seconds=self.max_wait_seconds)


class SourceKind(enum.Enum):
    """The kinds of repository list (``sources.repositories.SOURCE_KINDS``): the Launchpad offers them."""

    demo = "demo"
    seed_csv = "seed_csv"
    pwc_links = "pwc_links"
    repo_db = "repo_db"



class RepositorySourceResource(dg.ConfigurableResource):
    """Where the repository list comes from. Empty fields fall back to ISSUE_ASSETS_SOURCE
    (demo | seed_csv | pwc_links | repo_db; default demo) and ISSUE_ASSETS_REPOS (the file)."""

    kind: SourceKind | None = Field(default=None, description="empty: $ISSUE_ASSETS_SOURCE, else seed_csv when a "
                                                              "file is given, else demo")
    path: str = Field(default="", description="seed CSV, repoDB.csv, or links-between-papers-and-code.json.gz")
    papers_path: str = Field(default="", description="papers-with-abstracts.json.gz (venues of a links dump)")
    conferences: list[str] = Field(default_factory=list, description="links dump: keep these conferences")
    years: list[int] = Field(default_factory=list, description="links dump: keep these years")

    def resolved(self) -> tuple[str, str]:
        kind = self.kind.value if self.kind else os.environ.get("ISSUE_ASSETS_SOURCE") or ""
        path = self.path or os.environ.get("ISSUE_ASSETS_REPOS") or ""
        if not kind:
            kind = "seed_csv" if path else "demo"
        if kind == "demo" and not path:
            path = str(demo_snapshot(paths.demo_snapshot_dir()) / "repositories.csv")
        if not path:
            raise SourceError(f"repository source {kind!r} needs a file: set ISSUE_ASSETS_REPOS")
        return kind, path

    def read(self) -> RepositoryList:
        kind, path = self.resolved()
        return read_source(kind, path, papers=self.papers_path or None, conferences=self.conferences or None,
                           years=self.years or None)
