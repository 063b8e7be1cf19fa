"""The Dagster layer: assets, checks, partitions, resources, jobs, schedules and sensors.
No business logic here: every asset calls into ``github/``, ``sources/``, ``analysis/``."""

import warnings

import dagster as dg

# BackfillPolicy and source code references are beta in Dagster 1.13 (pinned below 1.14 in pyproject.toml and
# covered by the graph tests): their warnings would print on every command and in every run process.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`", category=dg.BetaWarning)
warnings.filterwarnings("ignore", message=r"(Function `with_source_code_references`|Class `LocalFileCodeReference`"
                                          r"|Class `CodeReferencesMetadataValue`)", category=dg.BetaWarning)
