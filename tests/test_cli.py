"""The ``issue-assets`` command: snapshot generation, the emulator's options, the demo."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import requests

from issue_assets.cli import build_parser, faults_from, main
from tests.conftest import read_csv_rows


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


def test_demo_materializes_the_graph_and_a_second_run_refreshes(tmp_path):
    exe = Path(sys.executable).parent / "issue-assets"
    env = {**os.environ, "ISSUE_ASSETS_HOME": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run([str(exe), "demo"], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "12 repositories (2 without issues), 1200 issues" in result.stdout
    assert "Issue categories" in result.stdout and "Closure regression" in result.stdout
    assert (tmp_path / "warehouse.duckdb").exists() and (tmp_path / "history").is_dir()
    assert not (tmp_path / "dagster.yaml").exists()  # the instance reads the repository's one dagster.yaml
    # Progress goes to stderr, as plain lines when it is not a terminal; the client's page lines stay
    # in the Dagster run logs.
    assert "fetch: 12 repositories\n" in result.stderr and "fetch: 12/12 repositories (100%), done" in result.stderr
    assert "analyze: 13/13 steps (100%), done; " in result.stderr and "\r" not in result.stderr
    assert "issues page" not in result.stderr
    assert "Warning" not in result.stderr  # no Beta- or SupersessionWarning noise on every command
    again = subprocess.run([str(exe), "demo"], capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "1200 issues" in again.stdout


def test_run_names_a_missing_seed_file(tmp_path):
    with pytest.raises(SystemExit, match="no such file"):
        main(["run", "--repos", str(tmp_path / "missing.csv")])


def test_run_reports_a_bad_seed_file(tmp_path, monkeypatch, capsys):
    for key in ("ISSUE_ASSETS_HOME", "ISSUE_ASSETS_SOURCE", "ISSUE_ASSETS_REPOS", "DAGSTER_HOME"):
        monkeypatch.setenv(key, str(tmp_path / "home"))  # restored after the test: `run` sets them
    (tmp_path / "repos.csv").write_text("name\nx/y\n", "utf-8")
    assert main(["run", "--repos", str(tmp_path / "repos.csv")]) == 1
    assert "missing column(s) repo" in capsys.readouterr().err
    (tmp_path / "repos.csv").write_text("repo\nnot a repository\n", "utf-8")
    assert main(["run", "--repos", str(tmp_path / "repos.csv")]) == 1
    assert "no usable repository (1 rejected)" in capsys.readouterr().err


def test_classify_labels_every_row_in_order(tmp_path, capsys):
    source = tmp_path / "issues.csv"
    pd.DataFrame({
        "id": ["a1", "a2", "a3"],
        "title": ["RuntimeError: CUDA out of memory", "Where can I download the pretrained model?", ""],
        "body": ["Traceback (most recent call last):\n  File \"train.py\"", "The link is broken,\nplease fix", ""],
    }).to_csv(source, index=False)
    assert main(["classify", "--in", str(source), "--out", str(tmp_path / "labels.csv")]) == 0
    labels = pd.read_csv(tmp_path / "labels.csv", dtype={"id": str})
    assert list(labels.columns) == ["id", "category", "confidence"] and list(labels["id"]) == ["a1", "a2", "a3"]
    assert list(labels["category"]) == ["runtime_error", "model_request", "other"]
    assert labels["confidence"].between(0, 1).all()
    assert "3 issues" in capsys.readouterr().out


def test_classify_streams_in_chunks_and_accepts_a_missing_body(tmp_path):
    from issue_assets.analysis.classify_csv import classify_csv

    source = tmp_path / "issues.csv"
    pd.DataFrame({"id": range(7), "title": ["ImportError: no module named torch"] * 7}).to_csv(source, index=False)
    counts = classify_csv(source, tmp_path / "out.csv", chunk_rows=3)
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out["id"]) == list(range(7)) and counts.sum() == 7 and counts["environment"] == 7


def test_classify_features_gives_every_text_feature_of_labeled_issues_in_order(tmp_path, capsys):
    from issue_assets.analysis.classify_csv import FEATURE_OUTPUT, classify_csv
    from issue_assets.analysis.features import text_features

    issues = pd.DataFrame({
        "id": ["b1", "b2", "b3", "b4", "b5"],
        "title": ["Thanks, this works great!", "训练时出现错误，无法加载模型", "Where is the config file?",
                  "Error when running train.py", "RuntimeError: CUDA out of memory"],
        "body": ["See https://example.com for details", "", "```\nimport torch\n```",
                 "I get an error when running train.py\nwith the default settings.", "```\nTraceback\n```\nWhy?"],
    })
    source = tmp_path / "issues.csv"
    issues.to_csv(source, index=False)
    # Three chunks, in one process: the order must survive the chunking.
    classify_csv(source, tmp_path / "features.csv", chunk_rows=2, workers=1, features=True)
    out = pd.read_csv(tmp_path / "features.csv", dtype=str, keep_default_na=False)
    assert list(out.columns) == ["id", "category", "confidence", *FEATURE_OUTPUT]
    assert list(out["id"]) == list(issues["id"])
    assert {"title_language", "english_title", "sentiment_title", "sentiment_body", "has_code_block", "has_url",
            "title_length", "body_length"} <= set(FEATURE_OUTPUT)
    assert list(out["title_language"]) == ["en", "zh", "en", "en", "en"]
    assert list(out["english_title"]) == ["True", "False", "True", "True", "True"]
    assert list(out["has_url"]) == ["True", "False", "False", "False", "False"]
    assert list(out["has_code_block"]) == ["False", "False", "True", "False", "True"]
    assert list(out["body_length"]) == [str(len(b)) for b in issues["body"]]
    assert out.loc[1, "body_lines"] == "0"
    # An empty body and a code-only body have no words: neutral, as in labeled_issues.
    assert float(out.loc[1, "sentiment_body"]) == 0.0 and float(out.loc[2, "sentiment_body"]) == 0.0
    # The same values as the function the assets call, written the same way.
    expected = text_features(issues["title"], issues["body"], workers=1)[["category", "confidence", *FEATURE_OUTPUT]]
    pd.testing.assert_frame_equal(out.drop(columns="id"), pd.read_csv(io.StringIO(expected.to_csv(index=False)),
                                                                      dtype=str, keep_default_na=False))
    assert main(["classify", "--features", "--in", str(source), "--out", str(tmp_path / "cli.csv")]) == 0
    assert pd.read_csv(tmp_path / "cli.csv").shape == (5, 3 + len(FEATURE_OUTPUT))
    assert "5 issues" in capsys.readouterr().out


@pytest.mark.parametrize("flags", [[], ["--features"]])
def test_classify_reports_bad_input_and_leaves_no_partial_output(tmp_path, capsys, flags):
    missing = tmp_path / "missing_title.csv"
    missing.write_text("id,body\n1,hello\n")
    assert main(["classify", *flags, "--in", str(missing), "--out", str(tmp_path / "o.csv")]) == 1
    assert "missing column(s) title" in capsys.readouterr().err and not (tmp_path / "o.csv").exists()
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,title,body\n1,caf\xe9,x\n".encode("latin-1"))
    assert main(["classify", *flags, "--in", str(latin), "--out", str(tmp_path / "o.csv")]) == 1
    assert "UTF-8" in capsys.readouterr().err and not (tmp_path / "o.csv").exists()
    (tmp_path / "empty.csv").write_text("")
    assert main(["classify", *flags, "--in", str(tmp_path / "empty.csv"), "--out", str(tmp_path / "o.csv")]) == 1
    assert "empty file" in capsys.readouterr().err
    assert main(["classify", *flags, "--in", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")]) == 1


def _run_env(monkeypatch, tmp_path, api_url: str, repos: Path, token: str | None = None) -> None:
    # Set, not deleted: `run` sets DAGSTER_HOME itself, and a set variable is restored after the test.
    for key in ("ISSUE_ASSETS_HOME", "DAGSTER_HOME"):
        monkeypatch.setenv(key, str(tmp_path / "home"))
    monkeypatch.setenv("GITHUB_API_URL", api_url)
    monkeypatch.setenv("ISSUE_ASSETS_SOURCE", "seed_csv")
    monkeypatch.setenv("ISSUE_ASSETS_REPOS", str(repos))
    if token is None:
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    else:
        monkeypatch.setenv("GITHUB_TOKEN", token)


def test_run_against_an_api_that_does_not_answer_stops_at_once_and_says_it_once(tmp_path, monkeypatch, capsys,
                                                                                  small_snapshot):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _run_env(monkeypatch, tmp_path, f"http://127.0.0.1:{port}", small_snapshot / "repositories.csv")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err.count("does not answer") == 1 and "check GITHUB_API_URL" in err, err
    assert "0 of 8 repositories refreshed" in err and "analysis skipped" in err and "Traceback" not in err
    assert not (tmp_path / "home" / "reports" / "study_report.html").exists()


def test_run_with_a_refused_token_reports_the_401_once(tmp_path, monkeypatch, capsys, start_emulator, small_snapshot):
    emulator = start_emulator(tokens=["the-right-token"])
    _run_env(monkeypatch, tmp_path, emulator.url, small_snapshot / "repositories.csv", token="wrong")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err.count("401") == 1 and "Set GITHUB_TOKEN to a valid token" in err and "Traceback" not in err, err
    assert emulator.stats()["requests"] == 1  # the check, and nothing after it


def test_run_reports_each_merged_duplicate_of_the_list_with_its_line(tmp_path, monkeypatch, capsys, small_snapshot):
    repo = read_csv_rows(small_snapshot / "repositories.csv")[0]["repo"]
    seed = tmp_path / "seed.csv"
    seed.write_text(f"repo\n{repo}\n{repo.upper()}\nhttps://github.com/{repo}\n", "utf-8")
    _run_env(monkeypatch, tmp_path, "http://127.0.0.1:9", seed)
    main(["run"])  # nothing answers on port 9: the list's notes come first, before any fetch
    err = capsys.readouterr().err
    assert f"seed.csv:3: '{repo.upper()}' merged: the same repository as {repo} (seed.csv:2)" in err
    assert f"seed.csv:4: 'https://github.com/{repo}' merged" in err


def test_ctrl_c_stops_run_promptly_and_the_next_run_finishes_the_full_refresh(tmp_path, start_emulator,
                                                                             small_snapshot):
    import signal

    from issue_assets.emulator.server import Faults

    emulator = start_emulator(Faults(latency_ms=150))  # slow enough to interrupt mid-fetch
    env = {**os.environ, "ISSUE_ASSETS_HOME": str(tmp_path / "home"), "GITHUB_API_URL": emulator.url,
           "ISSUE_ASSETS_SOURCE": "seed_csv", "ISSUE_ASSETS_REPOS": str(small_snapshot / "repositories.csv")}
    for key in ("DAGSTER_HOME", "GITHUB_TOKEN"):
        env.pop(key, None)
    exe = Path(sys.executable).parent / "issue-assets"
    process = subprocess.Popen([str(exe), "run", "--full-refresh"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    while "fetch: 8 repositories" not in process.stderr.readline():
        assert process.poll() is None, "run ended before its fetch started"
    time.sleep(2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-3000:]
    assert "interrupted" in err and "analysis skipped" in err and "Issue categories" not in out
    assert (tmp_path / "home" / "unfinished_full_refresh.json").exists()
    again = subprocess.run([str(exe), "run"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resumed an interrupted --full-refresh" in again.stderr and "Issue categories" in again.stdout
    assert not (tmp_path / "home" / "unfinished_full_refresh.json").exists()


def _processes_with(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (this test's ISSUE_ASSETS_HOME): what dev started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:  # gone meanwhile, or not ours to read
                continue
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the processes dev started")
def test_sigterm_on_dev_stops_its_whole_process_tree(tmp_path):
    import socket

    from tests.servers import free_port

    home = tmp_path / "home"
    env = {**os.environ, "ISSUE_ASSETS_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    port = free_port()
    exe = Path(sys.executable).parent / "issue-assets"
    process = subprocess.Popen([str(exe), "dev", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "dev did not start its webserver"
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(1)
        assert len(_processes_with(str(home))) >= 3  # issue-assets, dagster dev, its webserver and daemon
        process.terminate()  # SIGTERM to issue-assets alone, as a service manager sends it
        assert process.wait(timeout=90) is not None
        assert _processes_with(str(home)) == []
        with socket.socket() as again:  # the port is free again
            again.bind(("127.0.0.1", port))
    finally:
        for pid in _processes_with(str(home)):
            os.kill(pid, 9)
