"""Where repository lists come from: a seed CSV, a Papers With Code links dump, the study's repoDB.csv."""

from issue_assets.sources.repositories import (
    REPOSITORY_COLUMNS,
    SourceError,
    deduplicate,
    read_pwc_links,
    read_repo_db,
    read_seed_csv,
    read_source,
)

__all__ = [
    "REPOSITORY_COLUMNS",
    "SourceError",
    "deduplicate",
    "read_pwc_links",
    "read_repo_db",
    "read_seed_csv",
    "read_source",
]
