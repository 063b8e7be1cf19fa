"""Progress of long work: estimates, the terminal bar and plain lines, and the fetch's page lines."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest

from issue_assets.emulator.server import EmulatorState, Faults, GitHubEmulator
from issue_assets.github.client import _WalkLog
from issue_assets.github.tokens import TokenPool, rate_limit_wait
from issue_assets.progress import (
    Progress,
    ProgressDisplay,
    format_duration,
    history_fraction,
    report,
)
from tests.test_client_emulator import _tiny_repo


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "unknown"), (float("inf"), "unknown"), (-1, "unknown"), (0, "0 s"), (44.6, "45 s"),
    (200, "3 min 20 s"), (3600, "1 h 00 min"), (7500, "2 h 05 min"),
])
def test_durations_read_as_a_person_would_say_them(seconds, text):
    assert format_duration(seconds) == text


def test_the_estimate_is_time_per_unit_times_the_units_left():
    clock = Clock()
    progress = Progress("fetch", 10, "repositories", clock=clock)
    assert progress.seconds_left() is None and "unknown" in progress.describe()
    clock.now += 30
    progress.advance(3)
    assert progress.seconds_left() == pytest.approx(70.0)
    assert progress.describe() == "3/10 repositories (30%), about 1 min 10 s left"
    assert progress.describe(extra_wait=3600) == "3/10 repositories (30%), about 1 h 01 min left"
    progress.advance(20)  # never past the total
    assert progress.done == 10 and progress.seconds_left() == 0 and progress.describe().endswith("done")


def test_a_rate_limit_too_small_for_the_work_left_adds_its_reset_waits():
    assert rate_limit_wait(100, None, 600, 5000) == 0  # budget unknown: no wait foreseen
    assert rate_limit_wait(100, 4000, 600, 5000) == 0
    assert rate_limit_wait(4500, 4000, 600, 5000) == 600  # one reset
    assert rate_limit_wait(14_500, 4000, 600, 5000) == 600 + 2 * 3600  # and two more windows


def test_a_token_pool_foresees_its_waits():
    pool = TokenPool(["a", "b"])
    assert pool.wait_for(10**6, now=0) == 0  # nothing known yet
    for state, remaining in zip(pool.states, (100, 50), strict=True):
        state.update({"x-ratelimit-limit": "5000", "x-ratelimit-remaining": str(remaining),
                      "x-ratelimit-reset": "900"})
    assert pool.wait_for(150, now=0) == 0
    assert pool.wait_for(151, now=0) == 900
    assert pool.wait_for(151, now=1000) == 0  # past the reset the budget is whole again


def test_history_fraction_measures_an_oldest_first_walk_by_time():
    first, now = datetime(2020, 1, 1, tzinfo=UTC), datetime(2022, 1, 1, tzinfo=UTC)
    assert history_fraction(first, datetime(2021, 1, 1, tzinfo=UTC), now) == pytest.approx(366 / 731)
    assert history_fraction(None, now, now) is None and history_fraction(now, now, now) is None
    assert history_fraction(first, datetime(2023, 1, 1, tzinfo=UTC), now) == 1.0


def _display(interactive: bool, interval: float = 15.0) -> tuple[ProgressDisplay, io.StringIO, Clock]:
    stream, clock = io.StringIO(), Clock()
    return ProgressDisplay(stream, interactive=interactive, interval=interval, clock=clock), stream, clock


def test_plain_output_writes_a_line_per_interval_and_the_end_of_each_stage():
    display, stream, clock = _display(interactive=False)
    with display:
        display.start("fetch", 4, "repositories")
        for repo in ("a/1", "a/2", "a/3", "a/4"):
            clock.now += 10
            report("fetch", detail=f"{repo} stored")
        report("analyze", detail="ignored: not the current stage")
    lines = stream.getvalue().splitlines()
    assert lines == [
        "fetch: 4 repositories",
        "fetch: 2/4 repositories (50%), about 20 s left; a/2 stored",  # the first 15 s after the start line
        "fetch: 4/4 repositories (100%), done; a/4 stored",  # the end, however soon
    ]
    assert "\r" not in stream.getvalue()


def test_a_stage_that_ends_short_says_how_far_it_came():
    display, stream, clock = _display(interactive=False)
    with display:
        display.start("analyze", 13, "steps")
        clock.now += 20
        report("analyze", detail="raw_issue_checks FAILED")
    assert stream.getvalue().splitlines()[-1] == "analyze: 1/13 steps in 20 s"


def test_a_terminal_gets_one_bar_redrawn_in_place():
    display, stream, clock = _display(interactive=True)
    with display:
        display.start("fetch", 2, "repositories")
        clock.now += 5
        report("fetch", detail="a/1")
        report("fetch", detail="a/2")
    out = stream.getvalue()
    assert out.count("\n") == 1 and out.endswith("\n")  # one line, ended once
    frames = out.rstrip("\n").split("\r")[1:]
    assert frames[1].startswith("[############------------] fetch: 1/2 repositories (50%)")
    assert frames[2].startswith("[########################] fetch: 2/2 repositories (100%), done; a/2")


def test_without_a_display_progress_records_go_nowhere(capsys, caplog):
    with caplog.at_level(logging.INFO):
        report("fetch", detail="a/1")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_long_walks_log_their_pages_with_an_estimate_and_the_requests_left(make_client, caplog):
    state = EmulatorState([_tiny_repo("deep/repo", 450), _tiny_repo("small/repo", 30)], Faults())
    # The client's clock reads a time just after the last update (an issue every 61 s from 1.6e9).
    with GitHubEmulator(state) as emulator, caplog.at_level(logging.INFO, logger="issue_assets.github"):
        client = make_client(emulator.url, clock=lambda: 1_600_000_000 + 450 * 61, page_log_interval=0)
        client.fetch_issues("deep/repo")
        client.fetch_issues("small/repo")
    pages = [r.getMessage() for r in caplog.records if "issues page" in r.getMessage()]
    assert len(pages) == 5 and all(p.startswith("deep/repo: issues page") for p in pages)
    assert "issues page 1: 100 items, 100 so far (updated up to " in pages[0]
    assert "updated up to 2020-09-13T14:08:20Z, about 22% of its history, " in pages[0]
    assert "anonymous: 4999 of 5000 left, resets in" in pages[0]
    # Window edges are read twice: the items so far count each issue once.
    assert "issues page 5: 54 items, 450 so far (last page)" in pages[-1]


def test_a_fast_walk_logs_its_first_and_last_page_only(make_client, caplog):
    """Under Dagster each line is an event of the run's log: a walk logs a page every 10 s, not every page."""
    state = EmulatorState([_tiny_repo("deep/repo", 450)], Faults())
    with GitHubEmulator(state) as emulator, caplog.at_level(logging.INFO, logger="issue_assets.github"):
        make_client(emulator.url, clock=lambda: 1_600_000_000 + 450 * 61).fetch_issues("deep/repo")
    pages = [r.getMessage() for r in caplog.records if "issues page" in r.getMessage()]
    assert [p.split(":")[1] for p in pages] == [" issues page 1", " issues page 5"]


def test_a_walk_log_is_due_at_the_first_page_the_last_and_once_per_interval():
    walk = _WalkLog(10.0)
    due = [walk.due(now, last=False) for now in (0.0, 4.0, 9.9, 10.0, 12.0, 21.0)] + [walk.due(22.0, last=True)]
    assert due == [True, False, False, True, False, True, True]
