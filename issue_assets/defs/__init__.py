"""The Dagster layer: assets, checks, partitions, resources, jobs, schedules and sensors.
No business logic here: every asset calls into ``github/``, ``sources/``, ``analysis/``."""
