import dagster as dg

# One partition per repository, keyed `owner/name` as the repository list spells it.
repository_partitions = dg.DynamicPartitionsDefinition(name="repositories")

# Repositories per run when many are fetched at once (schedule, sensor, backfills).
REPOS_PER_RUN = 25
