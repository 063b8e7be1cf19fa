"""Resources: the warehouse, GitHub access, and the repository source."""

import enum
import os

import dagster as dg
from pydantic import Field

from issue_assets import paths
from issue_assets.emulator.generator import demo_snapshot
from issue_assets.github.access import GitHubAccess
from issue_assets.sources.repositories import RepositoryList, SourceError, read_source
from issue_assets.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file; assets get the :class:`~issue_assets.warehouse.Warehouse` itself
    (``warehouse: dg.ResourceParam[Warehouse]``). Connections are short-lived and wait for the file lock."""

    path: str = Field(default="", description="DuckDB file; empty: $ISSUE_ASSETS_HOME/warehouse.duckdb")
    lock_timeout_seconds: float = Field(default=900.0, description="how long to wait for another writer")

    def create_resource(self, context: dg.InitResourceContext) -> Warehouse:
        return Warehouse(self.path or paths.warehouse_path(), lock_timeout=self.lock_timeout_seconds)


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
