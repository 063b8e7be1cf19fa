"""The real GitHub side: the REST client (``client``), its ETag cache, errors, timestamps, the token
budget (``tokens``) and GitHub's own constants (``labels``). Plain Python, usable without Dagster."""
