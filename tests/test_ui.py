"""The Dagster UI in a real browser: what a user sees after `make demo`, and a backfill launched by clicking.

The webserver and daemon (`issue-assets dev --demo`) run on loopback over a demo instance; Playwright
drives Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`; Playwright's own browsers are
never downloaded). Screenshots go to `test-artifacts/ui/` (or `$ISSUE_ASSETS_TEST_ARTIFACTS`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
import requests

from tests.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("ISSUE_ASSETS_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "ui"
# Chromium in a sandbox with no network: no first-run work, no background connections to Google.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is a dev dependency: make test")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not "
                                "installed; .ci/run installs it (apt-get install chromium)")
expect = playwright_api.expect
expect.set_options(timeout=30_000)  # a loaded CI machine renders the UI's live data slowly
TWO_REPOSITORIES = ("kaist-deep/PointDistill", "chenwei99/MaskedPose")  # neighbours in the partition order


def _wait_for_webserver(url: str, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"issue-assets dev exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/server_info", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise TimeoutError(f"the Dagster webserver did not answer at {url} in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    """`make demo`, then `issue-assets dev --demo` (webserver, daemon, emulator) on that instance."""
    home = tmp_path_factory.mktemp("ui") / "home"
    env = {**os.environ, "ISSUE_ASSETS_HOME": str(home)}
    for variable in ("DAGSTER_HOME", "GITHUB_TOKEN", "ISSUE_ASSETS_SOURCE", "ISSUE_ASSETS_REPOS"):
        env.pop(variable, None)
    exe = Path(sys.executable).parent / "issue-assets"
    demo = subprocess.run([str(exe), "demo"], capture_output=True, text=True, timeout=600, env=env)
    assert demo.returncode == 0, demo.stderr[-3000:]
    port, log = free_port(), home / "dev.log"
    with open(log, "w") as out:
        # A session of its own: stopping the group stops dagster dev's webserver, daemon and code server.
        process = subprocess.Popen([str(exe), "dev", "--demo", "--port", str(port)], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_webserver(url, process, log)
        yield url, home
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen, grace: float = 60) -> None:
    """SIGTERM to the whole session, SIGKILL to what is left of it after ``grace`` seconds."""
    os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()
        try:
            os.killpg(process.pid, 0)  # anyone left in the group?
        except ProcessLookupError:
            return
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, webserver):
    url, _ = webserver
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, base_url=url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto("/asset-groups")
    # Dagster greets a new browser with an invitation to its community: decline it.
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.wait_for(timeout=5_000)
        skip.click()
    except playwright_api.TimeoutError:
        pass
    yield page
    context.close()


def _screenshot(page, name: str) -> None:
    path = ARTIFACTS / f"{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"{path}: an empty picture"


def _asset_groups() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The assets of each group, and the checks of each asset, as the Definitions give them."""
    from issue_assets.definitions import defs

    graph = defs().resolve_asset_graph()
    groups, checks = defaultdict(list), defaultdict(list)
    for key in graph.get_all_asset_keys():
        groups[graph.get(key).group_name].append(key.to_user_string())
    for check in graph.asset_check_keys:
        checks[check.asset_key.to_user_string()].append(check.name)
    return groups, checks


def test_the_asset_graph_shows_every_asset_with_its_checks(page):
    groups, checks = _asset_groups()
    assert sum(map(len, checks.values())) == 16 and len(groups) == 6
    # The graph draws only the nodes in view: a tall window holds the largest group (6 assets) whole.
    page.set_viewport_size({"width": 1600, "height": 2400})
    for group, assets in sorted(groups.items()):
        page.goto(f"/locations/issue_assets/asset-groups/{group}")
        for asset in assets:
            expect(page.locator(f'[data-tooltip="{asset}"]').first).to_be_visible()
        _screenshot(page, f"asset-graph-{group}")
    # Each asset's checks, by name. (The daemon's sensors may be re-fetching while this runs, so the
    # graph's pass counts can be between evaluations: the names are what the definitions fix.)
    for asset, names in sorted(checks.items()):
        page.goto(f"/assets/{asset}?view=checks")
        for name in names:
            expect(page.get_by_text(name, exact=True).first).to_be_visible()
        _screenshot(page, f"checks-{asset}")


def test_raw_issues_lists_its_repository_partitions(page, webserver):
    _, home = webserver
    repos = [line.split(",")[0] for line in
             (home / "demo" / "snapshot" / "repositories.csv").read_text().splitlines()[1:]]
    assert len(repos) == 12
    page.goto("/assets/raw_issues?view=partitions")
    expect(page.get_by_text("Materialized (12)")).to_be_visible()
    for repo in repos:
        expect(page.get_by_text(repo, exact=True).first).to_be_visible()
    _screenshot(page, "raw-issues-partitions")


def test_a_backfill_of_two_repositories_launched_from_the_ui_succeeds(page, webserver, monkeypatch):
    import dagster as dg

    from issue_assets.instance import settings_file

    _, home = webserver
    monkeypatch.setenv("ISSUE_ASSETS_HOME", str(home))  # the instance as issue-assets opens it: the one dagster.yaml
    page.goto("/assets/raw_issues?view=partitions")
    page.get_by_role("button", name="Materialize…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Select a partition or create one").click()
    for repo in TWO_REPOSITORIES:
        page.get_by_placeholder("Filter partitions").fill(repo)
        page.get_by_role("menu").locator("[role=menuitem]").filter(has_text=repo) \
            .filter(has_not_text="Select all").click()
    dialog.get_by_text("Launch runs to materialize raw_issues").click()  # closes the partition list
    expect(dialog.get_by_text("2 partitions")).to_be_visible()
    _screenshot(page, "backfill-dialog")
    dialog.get_by_role("button", name="Launch backfill").click()
    toast = page.get_by_text(re.compile(r"Created backfill \w+"))
    expect(toast).to_be_visible()
    backfill_id = re.search(r"Created backfill (\w+)", toast.inner_text()).group(1)

    # The daemon runs the backfill: one range run of the two partitions (25 per run at most).
    with dg.DagsterInstance.from_config(str(settings_file().parent)) as instance:
        deadline = time.monotonic() + 300
        while instance.get_backfill(backfill_id).status.value == "REQUESTED":
            assert time.monotonic() < deadline, "the backfill did not finish within 5 minutes"
            time.sleep(2)
        backfill = instance.get_backfill(backfill_id)
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
    assert backfill.status.value == "COMPLETED_SUCCESS", backfill.status
    assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS]
    assert {runs[0].tags["dagster/asset_partition_range_start"],
            runs[0].tags["dagster/asset_partition_range_end"]} == set(TWO_REPOSITORIES)

    page.goto(f"/runs/b/{backfill_id}")
    expect(page.get_by_text("100% completed")).to_be_visible()
    for repo in TWO_REPOSITORIES:
        expect(page.get_by_text(repo, exact=True).first).to_be_visible()
    _screenshot(page, "backfill-succeeded")


def test_a_table_assets_overview_shows_its_columns_with_their_meaning(page):
    """What a user opening the catalog reads about a table: its columns, types and what each one means (the
    catalog's text, issue_assets/catalog.py), the DuckDB table, its owner, question tag and freshness."""
    from issue_assets.catalog import TABLES

    table = TABLES["category_distribution"]
    page.goto(f"/assets/{table.asset}")  # the Overview tab
    columns = page.get_by_role("table").filter(has=page.get_by_role("cell", name="Column name", exact=True))
    expect(columns).to_be_visible()
    for column in table.columns:
        row = columns.get_by_role("row").filter(has=page.get_by_role("cell", name=column.name, exact=True))
        expect(row).to_have_count(1)
        expect(row).to_contain_text(column.type)
        expect(row).to_contain_text(column.description)
    expect(page.get_by_text(f"warehouse.main.{table.name}", exact=True).first).to_be_visible()
    expect(page.get_by_text("issue-assets", exact=True).first).to_be_visible()  # the owner, team:issue-assets
    expect(page.get_by_text("study: rq1", exact=True)).to_be_visible()
    expect(page.get_by_text("Freshness policy").first).to_be_visible()
    _screenshot(page, "category-distribution-overview")


def test_the_reports_table_and_figure_are_visible(page):
    page.goto("/assets/study_report")
    # The path, and the link that opens the report from the asset's page.
    expect(page.get_by_text("/reports/study_report.html")).to_have_count(2)
    expect(page.get_by_role("link", name="file://", exact=False)).to_be_visible()
    page.get_by_text("[Show Markdown]").click()
    dialog = page.get_by_role("dialog")
    figure = dialog.locator('img[src^="data:image/png;base64,"]').first
    expect(figure).to_be_visible()
    assert figure.evaluate("image => image.naturalWidth") > 300  # a real picture, decoded
    table = dialog.locator("table").first
    expect(table).to_be_visible()
    expect(table).to_contain_text("closed_share")
    _screenshot(page, "study-report-metadata")


def test_the_report_fits_a_1300_pixel_window(browser, webserver, monkeypatch):
    """A report a researcher pastes into a paper draft: nothing wider than the window (wide tables scroll
    in their own box), a table of contents, notes under the tables."""
    from issue_assets import paths

    _, home = webserver
    monkeypatch.setenv("ISSUE_ASSETS_HOME", str(home))
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(paths.report_path().as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 1300
    expect(page.locator("nav.toc a")).to_have_count(9)
    expect(page.get_by_text("labels that no issue carries left out")).to_be_visible()
    page.locator("#rq3").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "study-report-1300px.png"))
    page.close()
