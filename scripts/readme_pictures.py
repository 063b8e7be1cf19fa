"""The README's pictures, from the demo: the study report's first screen and the Dagster UI's asset graph.

    .venv/bin/python scripts/readme_pictures.py [--home DIR]

Runs `issue-assets demo` into DIR (a temporary folder by default) unless it already holds a report,
then renders with Debian's Chromium (`apt-get install chromium`): `docs/images/study-report.png` from
`DIR/reports/study_report.html`, and `docs/images/asset-graph.png` from `issue-assets dev` on DIR.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

from issue_assets import paths

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="an ISSUE_ASSETS_HOME with the demo materialized (or to fill)")
    parser.add_argument("--port", type=int, default=3317)
    args = parser.parse_args()
    home = (args.home or Path(tempfile.mkdtemp(prefix="issue-assets-pictures-"))).resolve()
    exe = Path(sys.executable).parent / "issue-assets"
    os.environ["ISSUE_ASSETS_HOME"] = str(home)
    env = {**os.environ}
    env.pop("DAGSTER_HOME", None)
    if not paths.report_path().exists():
        subprocess.run([str(exe), "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    OUT.mkdir(parents=True, exist_ok=True)
    dev = subprocess.Popen([str(exe), "dev", "--demo", "--port", str(args.port)], env=env, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(180):
            try:
                if requests.get(f"{url}/server_info", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 1000}, device_scale_factor=1)
            page.goto(paths.report_path().as_uri())
            # The first screen of RQ1: the category figure and the start of its table.
            page.get_by_role("heading", name="RQ1: what users ask").evaluate("heading => heading.scrollIntoView()")
            page.screenshot(path=str(OUT / "study-report.png"))
            page = browser.new_page(viewport={"width": 1500, "height": 900})
            page.goto(f"{url}/asset-groups")
            skip = page.get_by_role("button", name="Skip")
            try:
                skip.wait_for(timeout=5_000)
                skip.click()
            except Exception:  # no invitation shown
                pass
            page.goto(f"{url}/locations/issue_assets/asset-groups/github")
            page.wait_for_timeout(4_000)
            page.screenshot(path=str(OUT / "asset-graph.png"))
            browser.close()
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        dev.wait(timeout=60)
    for name in ("study-report.png", "asset-graph.png"):
        print(f"wrote {OUT / name} ({(OUT / name).stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
