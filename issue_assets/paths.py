"""Where the product keeps its state: everything under ``ISSUE_ASSETS_HOME`` (default ``.issue_assets``)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The absolute home folder (Dagster wants an absolute ``DAGSTER_HOME``)."""
    return Path(os.environ.get("ISSUE_ASSETS_HOME") or ".issue_assets").expanduser().resolve()


def warehouse_path() -> Path:
    return home() / "warehouse.duckdb"


def etag_cache_path() -> Path:
    return home() / "etags.sqlite"


def demo_snapshot_dir() -> Path:
    return home() / "demo" / "snapshot"


def report_path() -> Path:
    """The study report the ``study_report`` asset writes."""
    return home() / "reports" / "study_report.html"


def annotation_dir() -> Path:
    """The coding sheets of the annotation workflow."""
    return home() / "annotation"


def project_classifier_path() -> Path:
    """A classifier trained on this project's own coded issues (written only when it beats the shipped one)."""
    return home() / "models" / "project_classifier.npz"
