"""Soak run: the whole asset graph over hundreds of repositories with every GitHub fault on, compared
table by table with a fault-free run.

    .venv/bin/python benchmarks/soak.py [--repos 300] [--issues 12000] [--seed 3] [--rate-limit 60]
                                        [--rate-window 5]

Generates a synthetic snapshot and runs what `issue-assets run` runs (ai_repositories, the
repository fetches in range runs of 25, the analysis with its checks) twice, each in a scratch
ISSUE_ASSETS_HOME: once against a fault-free emulator, once against an emulator that answers 5% of
requests with 500/502/503, every 50th request with a secondary rate limit (retry-after 1 s), adds
20 ms to every answer, cuts 2% of bodies in half, drops 1% of connections mid-body, and allows
`--rate-limit` requests per `--rate-window` seconds. The observation time is frozen to the
snapshot's date in both runs, so that the issues' ages agree. Prints the wall time and API work of
each run and the SHA-256 digest of every warehouse table (fetch times left out); exits 1 when any
table differs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from issue_assets.emulator.generator import generate_snapshot
from issue_assets.emulator.server import EmulatorState, Faults, GitHubEmulator
from issue_assets.emulator.snapshot import read_snapshot

FETCH_TIMES = ("fetched_at", "last_fetched_at", "first_listed_at", "last_listed_at")
FAULTS = Faults(error_rate=0.05, secondary_every=50, retry_after=1, latency_ms=20, truncate_rate=0.02,
                drop_rate=0.01, seed=5)


def _run(snapshot: Path, home: Path, faults: Faults | None, rate_limit: int, rate_window: float) -> dict[str, str]:
    from issue_assets import paths
    from issue_assets.instance import prepare_instance
    from issue_assets.pipeline import materialize_all
    from issue_assets.warehouse import Warehouse, table_digest

    os.environ["ISSUE_ASSETS_HOME"] = str(home)
    state = EmulatorState(read_snapshot(snapshot), faults)
    with GitHubEmulator(state, rate_limit=rate_limit, rate_window=rate_window) as emulator:
        os.environ["GITHUB_API_URL"] = emulator.url
        started = time.perf_counter()
        result = materialize_all(prepare_instance(), log_level="ERROR")
        elapsed = time.perf_counter() - started
        served = emulator.stats()
    faults_served = {k: v for k, v in served.items() if k in ("server_errors", "secondary_limited", "rate_limited")
                     or k.startswith("fault_")}
    print(f"  {elapsed:.1f} s, {len(result.runs)} runs ({len(result.failed_runs)} failed), "
          f"{served.get('requests', 0)} requests; faults served: {faults_served or 'none'}")
    if not result.success:
        raise SystemExit(f"  runs failed: {result.failed_runs}")
    warehouse = Warehouse(paths.warehouse_path())
    tables = warehouse.read("SELECT table_name FROM information_schema.tables ORDER BY table_name")["table_name"]
    return {table: table_digest(warehouse.table(table), FETCH_TIMES) for table in tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=300)
    parser.add_argument("--issues", type=int, default=12_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--rate-limit", type=int, default=60, help="requests per window in the faulty run")
    parser.add_argument("--rate-window", type=float, default=5.0, help="seconds")
    args = parser.parse_args()
    import issue_assets.mining

    with tempfile.TemporaryDirectory() as scratch:
        snapshot = Path(scratch) / "snapshot"
        generate_snapshot(snapshot, args.repos, args.issues, args.seed)
        now = datetime.fromisoformat(json.loads((snapshot / "manifest.json").read_text())["now"].replace("Z", "+00:00"))
        issue_assets.mining.utc_now = lambda: now  # the same observation time in both runs
        os.environ.update(ISSUE_ASSETS_SOURCE="seed_csv", ISSUE_ASSETS_REPOS=str(snapshot / "repositories.csv"))
        os.environ.pop("GITHUB_TOKEN", None)
        print(f"{args.repos} repositories, {args.issues} issues; fault-free run:")
        clean = _run(snapshot, Path(scratch) / "clean", None, 5000, 3600.0)
        print(f"every fault on, {args.rate_limit} requests per {args.rate_window:g} s:")
        faulty = _run(snapshot, Path(scratch) / "faulty", FAULTS, args.rate_limit, args.rate_window)
    differing = sorted(t for t in clean.keys() | faulty.keys() if clean.get(t) != faulty.get(t))
    for table in sorted(clean):
        print(f"  {table:<24} {clean[table][:16]}  {'differs' if table in differing else 'identical'}")
    if differing:
        raise SystemExit(f"tables differ: {', '.join(differing)}")
    print(f"all {len(clean)} tables identical")


if __name__ == "__main__":
    main()
