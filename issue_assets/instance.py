"""The Dagster instance under ``ISSUE_ASSETS_HOME``, and its settings file (``dagster.yaml``): SQLite or
PostgreSQL storage.

The package ships the settings every instance shares (``dagster.yaml``: run queue, pools, run
monitoring, logs) and a storage block for PostgreSQL (``dagster-postgres.yaml``). The file is written
once, for ``ISSUE_ASSETS_INSTANCE_STORAGE``, and kept afterwards, edits included.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import dagster as dg
import yaml

from issue_assets import paths

INSTANCE_STORAGES = ("sqlite", "postgres")
STORAGE_VARIABLE = "ISSUE_ASSETS_INSTANCE_STORAGE"
POSTGRES_URL_VARIABLE = "ISSUE_ASSETS_POSTGRES_URL"


class InstanceConfigError(Exception):
    """The Dagster instance's settings cannot serve what the environment asks for."""


def instance_config(storage: str = "sqlite") -> str:
    """The text of an instance's dagster.yaml: the shared settings, plus PostgreSQL storage when asked."""
    if storage not in INSTANCE_STORAGES:
        raise InstanceConfigError(f"{STORAGE_VARIABLE}={storage!r}: expected one of {', '.join(INSTANCE_STORAGES)}")
    package = resources.files("issue_assets")
    text = package.joinpath("dagster.yaml").read_text(encoding="utf-8")
    if storage == "postgres":
        text += "\n" + package.joinpath("dagster-postgres.yaml").read_text(encoding="utf-8")
    return text


def sqlalchemy_postgres_url(url: str) -> str:
    """``url`` naming the driver dagster-postgres installs (psycopg2).

    A plain ``postgresql://`` URL would make SQLAlchemy 2.1 look for psycopg 3, which is not installed."""
    scheme, sep, rest = url.partition("://")
    if not sep or not rest:
        raise InstanceConfigError(f"{POSTGRES_URL_VARIABLE}={url!r} is not a URL: expected "
                                  "postgresql://USER:PASSWORD@HOST:5432/DATABASE")
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg2://{rest}"
    if not scheme.startswith("postgresql+"):
        raise InstanceConfigError(f"{POSTGRES_URL_VARIABLE}: {scheme}:// is not a PostgreSQL URL")
    return url


def storage_of(config: Path) -> str:
    """``postgres`` or ``sqlite`` (Dagster's default when a file names no storage)."""
    try:
        settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InstanceConfigError(f"{config} is not valid YAML: {exc}") from exc
    storage = settings.get("storage") if isinstance(settings, dict) else None
    return "postgres" if isinstance(storage, dict) and "postgres" in storage else "sqlite"


def ensure_instance_config(home: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Write ``home/dagster.yaml`` when missing; check that the environment can serve it.

    Asking for the other storage than the file's is an error: Dagster does not move run history
    between storages, and silently starting an empty one would hide it.
    """
    env = os.environ if environ is None else environ
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = env.get(STORAGE_VARIABLE) or None
    if not config.exists():
        config.write_text(instance_config(wanted or "sqlite"), encoding="utf-8")
    elif wanted is not None:
        instance_config(wanted)  # an unknown name fails here, naming the accepted ones
        if storage_of(config) != wanted:
            raise InstanceConfigError(
                f"{config} keeps the run history in {storage_of(config)}, but {STORAGE_VARIABLE}={wanted}: "
                f"Dagster does not move run history between storages. Move that file (and the history next "
                f"to it) aside to start a {wanted} instance, or unset {STORAGE_VARIABLE}.")
    if POSTGRES_URL_VARIABLE in config.read_text(encoding="utf-8") and not env.get(POSTGRES_URL_VARIABLE):
        raise InstanceConfigError(f"{config} keeps the run history in PostgreSQL: set {POSTGRES_URL_VARIABLE}="
                                  "postgresql://USER:PASSWORD@HOST:5432/DATABASE")
    return config


def prepare_instance() -> dg.DagsterInstance:
    """The instance under ``ISSUE_ASSETS_HOME`` (``DAGSTER_HOME`` is set to it), with our dagster.yaml
    (written by :func:`ensure_instance_config`)."""
    home = paths.home()
    ensure_instance_config(home)
    if os.environ.get(POSTGRES_URL_VARIABLE):
        os.environ[POSTGRES_URL_VARIABLE] = sqlalchemy_postgres_url(os.environ[POSTGRES_URL_VARIABLE])
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()
