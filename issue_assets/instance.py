"""The Dagster instance of issue-assets: its one settings file, and where its storage lives.

The settings are the repository's top-level ``dagster.yaml`` (shipped in the package as
``issue_assets/dagster.yaml``, a link to it): run queue, pools, run monitoring, logs, and storage under
``$ISSUE_ASSETS_HOME``, named through that environment variable. Dagster reads ``$DAGSTER_HOME/dagster.yaml``,
so ``issue-assets`` sets ``DAGSTER_HOME`` to the folder of that file, and ``dagster dev`` started from the
repository root reads it from the current folder: the same file either way, never a copy.

PostgreSQL storage (``ISSUE_ASSETS_INSTANCE_STORAGE=postgres``) is an overlay: ``dagster-postgres.yaml``
takes the place of the sqlite storage. Dagster has no include, so the combination is written to
``$ISSUE_ASSETS_HOME/dagster.yaml`` (then the ``DAGSTER_HOME``), again at every start, from the two files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager

from issue_assets import paths

INSTANCE_STORAGES = ("sqlite", "postgres")
STORAGE_VARIABLE = "ISSUE_ASSETS_INSTANCE_STORAGE"
POSTGRES_URL_VARIABLE = "ISSUE_ASSETS_POSTGRES_URL"
HOME_VARIABLE = "ISSUE_ASSETS_HOME"
# The first line of a combined file: it is rewritten at every start, so an edit there would be lost.
GENERATED = "# Written by issue-assets at every start from {settings} and {overlay}: edit those, not this file.\n"


class InstanceConfigError(Exception):
    """The Dagster instance's settings cannot serve what the environment asks for."""


class HomeComputeLogManager(LocalComputeLogManager):
    """Dagster's local compute logs (each step's stdout and stderr) in ``<home>/storage``, the folder
    Dagster uses when ``DAGSTER_HOME`` is the instance's folder: a setting of dagster.yaml can name an
    environment variable (``home: {env: ISSUE_ASSETS_HOME}``), not a folder below it."""

    def __init__(self, home: str, polling_timeout: float | None = None, inst_data: Any = None):
        super().__init__(os.path.join(home, "storage"), polling_timeout=polling_timeout, inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict:
        return {"home": dg.StringSource, "polling_timeout": dg.Field(dg.Float, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> HomeComputeLogManager:
        return cls(inst_data=inst_data, **config_value)


def settings_file() -> Path:
    """The one dagster.yaml: the repository's (the package's file links to it), else the installed package's."""
    return Path(str(resources.files("issue_assets").joinpath("dagster.yaml"))).resolve()


def overlay_file() -> Path:
    return Path(str(resources.files("issue_assets").joinpath("dagster-postgres.yaml"))).resolve()


def _load(path: Path) -> dict:
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InstanceConfigError(f"{path} is not valid YAML: {exc}") from exc
    return settings if isinstance(settings, dict) else {}


def instance_config(storage: str = "sqlite") -> str:
    """The text of the instance's dagster.yaml: the settings file, its storage replaced by the PostgreSQL
    overlay's when asked."""
    if storage not in INSTANCE_STORAGES:
        raise InstanceConfigError(f"{STORAGE_VARIABLE}={storage!r}: expected one of {', '.join(INSTANCE_STORAGES)}")
    if storage == "sqlite":
        return settings_file().read_text(encoding="utf-8")
    combined = {**_load(settings_file()), "storage": _load(overlay_file())["storage"]}
    header = GENERATED.format(settings=settings_file(), overlay=overlay_file())
    return header + yaml.safe_dump(combined, sort_keys=False)


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
    storage = _load(config).get("storage")
    return "postgres" if isinstance(storage, dict) and "postgres" in storage else "sqlite"


def storage_in_use(home: Path) -> str | None:
    """The storage of the run history under ``home``: a combined (or, from an earlier version, copied)
    dagster.yaml names it; SQLite files are there; or None, a new home."""
    config = home / "dagster.yaml"
    if config.exists():
        return storage_of(config)
    return "sqlite" if (home / "history").exists() else None


def ensure_instance_config(home: Path, environ: Mapping[str, str] | None = None) -> Path:
    """The ``DAGSTER_HOME`` for the instance under ``home``: the folder of the settings file, or for
    PostgreSQL ``home`` with the combined file written in it. Checks that the environment can serve it.

    Asking for the other storage than the history's is an error: Dagster does not move run history
    between storages, and silently starting an empty one would hide it. Without
    ``ISSUE_ASSETS_INSTANCE_STORAGE`` the home keeps the storage it has.
    """
    env = os.environ if environ is None else environ
    home.mkdir(parents=True, exist_ok=True)
    wanted = env.get(STORAGE_VARIABLE) or None
    if wanted is not None:
        instance_config(wanted)  # an unknown name fails here, naming the accepted ones
    in_use = storage_in_use(home)
    if wanted is not None and in_use is not None and in_use != wanted:
        raise InstanceConfigError(
            f"{home} keeps the run history in {in_use}, but {STORAGE_VARIABLE}={wanted}: Dagster does not move "
            f"run history between storages. Move that folder's history (and dagster.yaml) aside to start a "
            f"{wanted} instance, or unset {STORAGE_VARIABLE}.")
    storage = wanted or in_use or "sqlite"
    config = home / "dagster.yaml"
    if storage == "sqlite":
        if config.exists():
            # A copy an earlier version wrote, which Dagster would read with DAGSTER_HOME=home: set it aside.
            config.replace(home / "dagster.yaml.old")
        return settings_file().parent
    if not env.get(POSTGRES_URL_VARIABLE):
        raise InstanceConfigError(f"{home} keeps the run history in PostgreSQL: set {POSTGRES_URL_VARIABLE}="
                                  "postgresql://USER:PASSWORD@HOST:5432/DATABASE")
    if config.exists() and not config.read_text(encoding="utf-8").startswith(GENERATED.split("{")[0]):
        config.replace(home / "dagster.yaml.old")  # an earlier version's copy, perhaps edited: kept aside
    config.write_text(instance_config("postgres"), encoding="utf-8")
    return home


def prepare_instance() -> dg.DagsterInstance:
    """The instance under ``ISSUE_ASSETS_HOME``: ``ISSUE_ASSETS_HOME`` (absolute) and ``DAGSTER_HOME`` set
    for this process and the Dagster processes it starts (:func:`ensure_instance_config`)."""
    home = paths.home()
    dagster_home = ensure_instance_config(home)
    os.environ[HOME_VARIABLE] = str(home)  # the settings name the home through it
    if os.environ.get(POSTGRES_URL_VARIABLE):
        os.environ[POSTGRES_URL_VARIABLE] = sqlalchemy_postgres_url(os.environ[POSTGRES_URL_VARIABLE])
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dg.DagsterInstance.get()
