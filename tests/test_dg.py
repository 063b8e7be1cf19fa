"""The `dg` CLI on the project (`[tool.dg]` in pyproject.toml): `dg check defs` and `dg list defs` load the
code location the way a Dagster user runs them, from the repository root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DG = Path(sys.executable).parent / "dg"


def _dg(*args: str, home: Path) -> subprocess.CompletedProcess:
    # The project's own virtual environment is the active one (dg warns otherwise); the instance dg creates
    # to load the definitions keeps its files under a home of the test's.
    env = {**os.environ, "VIRTUAL_ENV": str(Path(sys.executable).parents[1]), "ISSUE_ASSETS_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run([str(DG), *args], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)


def test_dg_check_defs_passes(tmp_path):
    result = _dg("check", "defs", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr
    assert (tmp_path / "history").is_dir()  # dagster.yaml's storage, through ISSUE_ASSETS_HOME


def test_dg_list_defs_lists_the_graph(tmp_path):
    from issue_assets.definitions import defs

    result = _dg("list", "defs", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    keys = {asset["asset_key"] for asset in listed["assets"]}
    assert keys == {key.to_user_string() for key in defs().resolve_asset_graph().get_all_asset_keys()}
    assert {job["name"] for job in listed["jobs"]} >= {"fetch_repositories", "analyze"}
    assert {schedule["name"] for schedule in listed["schedules"]} == {"daily_refresh"}
    assert {resource["name"]: resource["type"] for resource in listed["resources"]}["warehouse"] == \
        "issue_assets.defs.resources.WarehouseResource"
