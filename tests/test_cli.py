"""The ``issue-assets`` command: snapshot generation, the emulator's options, the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from issue_assets.cli import build_parser, faults_from, main


def test_snapshot_generate_writes_a_snapshot(tmp_path, capsys):
    assert main(["snapshot", "generate", "--repos", "3", "--issues", "50", "--seed", "4",
                 "--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert (manifest["repos"], manifest["issues"], manifest["seed"]) == (3, 50, 4)
    assert "3 repositories, 50 issues" in capsys.readouterr().out


def test_snapshot_generate_needs_sizes(tmp_path):
    with pytest.raises(SystemExit, match="--repos and --issues"):
        main(["snapshot", "generate", "--out", str(tmp_path)])


def test_fault_options_are_parsed_and_checked():
    args = build_parser().parse_args([
        "emulator", "--snapshot", "x", "--secondary-every", "50", "--error-rate", "0.05", "--max-page", "100",
        "--rename", "a/b=c/d", "--repo-status", "e/f=451"])
    faults = faults_from(args)
    assert (faults.secondary_every, faults.error_rate, faults.max_page) == (50, 0.05, 100)
    assert faults.renames == {"a/b": "c/d"} and faults.repo_status == {"e/f": 451}
    with pytest.raises(SystemExit, match="OWNER/NAME=404"):
        faults_from(build_parser().parse_args(["emulator", "--snapshot", "x", "--repo-status", "e/f=500"]))
    with pytest.raises(SystemExit, match="not a GitHub repository name"):
        faults_from(build_parser().parse_args(["emulator", "--snapshot", "x", "--rename", "a=c/d"]))


def test_emulator_command_serves_a_snapshot(tmp_path):
    main(["snapshot", "generate", "--repos", "2", "--issues", "30", "--seed", "2", "--out", str(tmp_path / "s")])
    exe = Path(sys.executable).parent / "issue-assets"
    process = subprocess.Popen([str(exe), "emulator", "--snapshot", str(tmp_path / "s")],
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = line.split(" at ")[1].split(" ")[0]
        deadline = time.time() + 10
        while True:
            try:
                reply = requests.get(f"{url}/rate_limit", timeout=2)
                break
            except requests.ConnectionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        assert reply.json()["resources"]["core"]["limit"] == 5000
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_emulator_command_names_a_broken_snapshot(tmp_path, capsys):
    assert main(["emulator", "--snapshot", str(tmp_path)]) == 1
    assert "no repos/ folder" in capsys.readouterr().err


def test_demo_mines_the_demo_snapshot_and_refreshes_for_free(tmp_path):
    exe = Path(sys.executable).parent / "issue-assets"
    result = subprocess.run([str(exe), "demo"], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "ISSUE_ASSETS_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "1200 issues" in result.stdout
    assert "0 rate-limit points" in result.stdout.splitlines()[-2]
