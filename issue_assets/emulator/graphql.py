"""The emulator's GraphQL API (``POST /graphql``, ``/api/graphql``), validated against GitHub's real schema.

The schema is GitHub's public one as the npm package ``@octokit/graphql-schema`` ships it (vendored beside
this module with its licence, ``GITHUB_SCHEMA_LICENSE``), never a hand-written subset: a query the emulator
accepts is a query GitHub accepts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from graphql import GraphQLSchema, build_schema

SCHEMA_FILE = Path(__file__).with_name("github_schema.graphql")


@cache
def github_schema() -> GraphQLSchema:
    """GitHub's schema, parsed once per process (about 1.1 s for its 1.2 MB of SDL).

    ``assume_valid_sdl``: the published SDL defines two fields of ``EnterpriseOwnerInfo`` twice
    (``repositoryDeployKeySetting*``), which graphql-core's SDL check refuses; the built schema itself
    passes ``validate_schema``."""
    return build_schema(SCHEMA_FILE.read_text(encoding="utf-8"), assume_valid_sdl=True)
