"""Reliability: every GitHub fault at once, and a process killed in the middle of a fetch, leave the
warehouse exactly as a fault-free run does (content digests of every mined table)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from issue_assets.emulator.server import Faults
from issue_assets.emulator.snapshot import read_snapshot
from issue_assets.mining import refresh_repository
from issue_assets.warehouse import Warehouse, table_digest

MINED_TABLES = ("repo_metadata", "raw_issues", "fetch_state")
FETCH_TIMES = ("fetched_at", "last_fetched_at")  # when a row was fetched differs between runs, nothing else may


BUDGET, WINDOW = 10, 4.0  # requests per 4-second window: the small snapshot (about 60 requests) spends
# it in every window unless the client sends fewer than 2.5 requests a second, however fast the machine


def _mine(client, warehouse: Warehouse, repos: list[str]) -> None:
    for repo in repos:
        refresh_repository(client, warehouse, repo)


def _digests(warehouse: Warehouse) -> dict[str, str]:
    return {table: table_digest(warehouse.table(table), FETCH_TIMES) for table in MINED_TABLES}


def _repos(snapshot: Path) -> list[str]:
    return sorted(s.full_name for s in read_snapshot(snapshot))


def test_every_fault_at_once_leaves_the_warehouse_identical_to_a_fault_free_run(start_emulator, make_client,
                                                                                small_snapshot, tmp_path, caplog):
    repos = _repos(small_snapshot)
    clean = Warehouse(tmp_path / "clean.duckdb")
    _mine(make_client(start_emulator().url), clean, repos)

    faults = Faults(error_rate=0.05, secondary_every=50, retry_after=1, latency_ms=2, truncate_rate=0.03,
                    drop_rate=0.02, seed=11)
    emulator = start_emulator(faults, rate_limit=BUDGET, rate_window=WINDOW)
    client = make_client(emulator.url, max_retries=12)
    faulty = Warehouse(tmp_path / "faulty.duckdb")
    _mine(client, faulty, repos)

    assert _digests(faulty) == _digests(clean)
    served = emulator.stats()
    # The faults really happened: server errors, secondary limits, broken bodies, and the budget
    # requests per window was spent several times (the client waited for each reset).
    assert served["server_errors"] and served["secondary_limited"]
    assert sum(v for k, v in served.items() if k.startswith("fault_")) > 0
    assert served["requests"] > 2 * BUDGET and "rate limit spent" in caplog.text
    assert client.stats.retries > 0 and client.stats.wait_seconds > 0


KILLED_MINER = """
import sys
from issue_assets.github.client import GitHubClient
from issue_assets.mining import refresh_repository
from issue_assets.warehouse import Warehouse

url, path, *repos = sys.argv[1:]
client = GitHubClient(url, backoff_base=0.001)
warehouse = Warehouse(path)
for repo in repos:
    refresh_repository(client, warehouse, repo)
    print("stored", repo, flush=True)
"""


def test_a_fetch_killed_mid_repository_resumes_with_no_gaps_and_no_duplicates(start_emulator, make_client,
                                                                              small_snapshot, tmp_path):
    repos = _repos(small_snapshot)
    clean = Warehouse(tmp_path / "clean.duckdb")
    _mine(make_client(start_emulator().url), clean, repos)

    # Slow answers so that the kill lands inside a repository's fetch, after some were stored.
    slow = start_emulator(Faults(latency_ms=15))
    path = tmp_path / "killed.duckdb"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    miner = subprocess.Popen([sys.executable, "-c", KILLED_MINER, slow.url, str(path), *repos],
                             stdout=subprocess.PIPE, text=True, env=env)
    stored_before_kill = []
    for line in miner.stdout:
        stored_before_kill.append(line.split()[1])
        if len(stored_before_kill) == 2:
            time.sleep(0.3)  # inside the third repository's pages
            break
    miner.send_signal(signal.SIGKILL)
    miner.wait(timeout=30)
    miner.stdout.close()
    assert miner.returncode == -signal.SIGKILL

    warehouse = Warehouse(path)
    per_repo = """SELECT f.repo, count(i.number) AS n FROM fetch_state f LEFT JOIN raw_issues i USING (repo)
                  GROUP BY f.repo"""
    partial = warehouse.read(per_repo).set_index("repo")["n"]
    complete = clean.read(per_repo).set_index("repo")["n"]
    # Consistent after the kill: a repository's issues are there whole, with its cursor, or not at all.
    assert set(stored_before_kill) <= set(partial.index) and len(partial) < len(repos)
    assert set(warehouse.table("raw_issues")["repo"]) <= set(partial.index)
    assert (partial == complete[partial.index]).all()
    _mine(make_client(slow.url), warehouse, repos)  # the next run completes it
    assert _digests(warehouse) == _digests(clean)
    keys = warehouse.read("SELECT repo, number, count(*) AS n FROM raw_issues GROUP BY repo, number HAVING n > 1")
    assert keys.empty


HOSTILE_BODIES = {
    "null": None,
    "huge": "Traceback (most recent call last):\n" + "x = 1\n" * 170_000,  # about 1 MB
    "binary garbage": bytes(range(256)).decode("latin-1") * 40,
    "emoji and control characters": "🔥🚀 模型 crashes \x07\x1b[31m red \x1b[0m\r\n\t\u200b\ufeff end 👍🏽",
    "nul bytes": "before\x00after\x00",
    "lone surrogate escaped": "broken \\ud800 text",
}


def test_hostile_issue_bodies_are_stored_as_given_and_labeled(make_client, tmp_path):
    import json

    from issue_assets.analysis.features import issue_features
    from issue_assets.emulator.generator import generate_snapshot
    from issue_assets.emulator.server import EmulatorState, GitHubEmulator

    generate_snapshot(tmp_path / "snap", repos=1, issues=len(HOSTILE_BODIES) + 4, seed=2)
    [folder] = (tmp_path / "snap" / "repos").iterdir()
    issues = [json.loads(line) for line in (folder / "issues.jsonl").read_text("utf-8").splitlines()]
    plain = [i for i in issues if "pull_request" not in i]
    for issue, (kind, body) in zip(plain, HOSTILE_BODIES.items(), strict=False):
        issue["title"], issue["body"] = f"hostile body: {kind}", body
    (folder / "issues.jsonl").write_text("".join(json.dumps(i) + "\n" for i in issues), "utf-8")

    [snap] = read_snapshot(tmp_path / "snap")
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with GitHubEmulator(EmulatorState([snap])) as emulator:
        refresh_repository(make_client(emulator.url), warehouse, snap.full_name)
    rows = warehouse.read("SELECT * FROM raw_issues WHERE title LIKE 'hostile body:%' ORDER BY number")
    assert len(rows) == len(HOSTILE_BODIES)
    stored = dict(zip(rows["title"].str.removeprefix("hostile body: "), rows["body"], strict=True))
    for kind, body in HOSTILE_BODIES.items():
        assert stored[kind] == (body or ""), kind  # a null body is stored as the empty body
    labeled = issue_features(rows, None)
    assert labeled["category"].notna().all() and labeled["body_length"].tolist() == rows["body"].str.len().tolist()


SAME_REPOSITORY_MINER = """
import sys
from issue_assets.github.client import GitHubClient
from issue_assets.mining import refresh_repository
from issue_assets.warehouse import Warehouse

url, path, repo = sys.argv[1:]
refresh_repository(GitHubClient(url, backoff_base=0.001), Warehouse(path), repo)
"""


def test_two_processes_fetching_the_same_repository_never_interleave_their_writes(start_emulator, make_client,
                                                                                   small_snapshot, tmp_path):
    """Each fetch stores the repository's rows and cursor in one transaction, and DuckDB lets one
    process write at a time: whichever commits last wins whole, and nothing is duplicated."""
    repo = max(read_snapshot(small_snapshot), key=lambda s: len(s.issues)).full_name
    clean = Warehouse(tmp_path / "clean.duckdb")
    _mine(make_client(start_emulator().url), clean, [repo])
    emulator = start_emulator(Faults(latency_ms=5))
    path = tmp_path / "shared.duckdb"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    miners = [subprocess.Popen([sys.executable, "-c", SAME_REPOSITORY_MINER, emulator.url, str(path), repo], env=env,
                               stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for miner in miners:
        _, err = miner.communicate(timeout=120)
        assert miner.returncode == 0, err[-2000:]
    assert _digests(Warehouse(path)) == _digests(clean)


def test_the_whole_graph_under_every_fault_ends_identical_to_a_fault_free_run():
    """benchmarks/soak.py at a small scale: every warehouse table, from raw issues to the study tables."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "benchmarks" / "soak.py"), "--repos", "12", "--issues", "400",
                           "--rate-limit", "30", "--rate-window", "1"], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "all 13 tables identical" in done.stdout
    assert "faults served: none" not in done.stdout.split("every fault on")[1]
