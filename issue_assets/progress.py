"""Progress of long work: counts, estimates of the time left, and their display in a terminal.

Two audiences read progress. The Dagster UI gets it as log lines of the run (``context.log`` and the
``issue_assets.github`` logger). ``issue-assets run`` and ``demo`` get it as *progress records* on the
``issue_assets.progress`` logger, which :class:`ProgressDisplay` draws as a bar on a terminal and as
plain lines, a few at most per stage and minute, when the output is a file or a CI log. Code that
reports progress never knows which display, if any, listens.

Estimates are throughput estimates (time so far per unit done, times the units left); the fetch adds
the wait for rate-limit resets that its token budget foresees (``github.tokens``).
"""

from __future__ import annotations

import logging
import math
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

PROGRESS_LOGGER = logging.getLogger("issue_assets.progress")
PROGRESS_LOGGER.propagate = False  # only a ProgressDisplay shows these records

def format_duration(seconds: float | None) -> str:
    """``45 s``, ``3 min 20 s``, ``2 h 05 min``; ``unknown`` for no estimate."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "unknown"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def history_fraction(first: datetime | None, reached: datetime | None, now: datetime) -> float | None:
    """How far an oldest-first walk of a repository's history has come, by time covered.

    Issues are listed by update time, oldest first: a walk that has reached ``reached`` has read the
    updates between ``first`` and ``reached`` out of those between ``first`` and ``now``."""
    if first is None or reached is None or now <= first:
        return None
    return min(1.0, max(0.0, (reached - first) / (now - first)))


@dataclass
class Progress:
    """Units of one stage done out of a total, with a throughput estimate of the time left."""

    stage: str
    total: int
    unit: str = "items"
    done: int = 0
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=math.nan)

    def __post_init__(self) -> None:
        if math.isnan(self.started):
            self.started = self.clock()

    def advance(self, units: int = 1) -> None:
        self.done = min(self.total, self.done + units) if self.total else self.done + units

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def elapsed(self) -> float:
        return self.clock() - self.started

    def seconds_left(self) -> float | None:
        """Elapsed time per unit done, times the units left; ``None`` before the first unit."""
        if self.done >= self.total:
            return 0.0
        if self.done == 0:
            return None
        return self.elapsed() / self.done * (self.total - self.done)

    def describe(self, extra_wait: float = 0.0) -> str:
        """``12/576 repositories (2%), about 3 min 20 s left``."""
        left = self.seconds_left()
        estimate = "done" if self.done >= self.total else \
            f"about {format_duration(None if left is None else left + extra_wait)} left"
        return f"{self.done}/{self.total} {self.unit} ({self.fraction:.0%}), {estimate}"


def report(stage: str, advance: int = 1, detail: str = "") -> None:
    """A progress record: ``advance`` more units of ``stage`` are done (shown by a ProgressDisplay)."""
    PROGRESS_LOGGER.info("%s: %s", stage, detail, extra={"progress": {"stage": stage, "advance": advance,
                                                                       "detail": detail}})


class ProgressDisplay(logging.Handler):
    """Draws progress records: a bar redrawn in place on a terminal, plain lines elsewhere.

    ``start`` opens a stage with its total; records of that stage advance it. Plain output writes a
    line when a stage starts and ends, and at most one every ``interval`` seconds in between.
    """

    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None, interval: float = 15.0,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(level=logging.INFO)
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.interval = interval
        self.clock = clock
        self.current: Progress | None = None
        self._last_line = -math.inf
        self._drawn = False

    def __enter__(self) -> ProgressDisplay:
        PROGRESS_LOGGER.addHandler(self)
        PROGRESS_LOGGER.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.finish()
        PROGRESS_LOGGER.removeHandler(self)

    def start(self, stage: str, total: int, unit: str) -> None:
        self.finish()
        self.current = Progress(stage, total, unit, clock=self.clock)
        self._line(f"{stage}: {total} {unit}", force=True)

    def emit(self, record: logging.LogRecord) -> None:
        progress = getattr(record, "progress", None)
        if not progress or self.current is None or progress["stage"] != self.current.stage:
            return
        self.current.advance(progress["advance"])
        finished = self.current.done >= self.current.total
        self._line(f"{self.current.stage}: {self.current.describe()}"
                   + (f"; {progress['detail']}" if progress["detail"] else ""), force=finished)

    def finish(self) -> None:
        """Close the current stage: the bar's line is ended (a stage may end short of its total)."""
        if self.current is None:
            return
        if self.current.done < self.current.total:
            self._line(f"{self.current.stage}: {self.current.done}/{self.current.total} {self.current.unit} "
                       f"in {format_duration(self.current.elapsed())}", force=True)
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
        self.current = None

    def _line(self, text: str, force: bool = False) -> None:
        if self.interactive:
            width = shutil.get_terminal_size((100, 20)).columns
            bar = self._bar(24)
            self.stream.write("\r" + f"{bar} {text}"[: width - 1].ljust(width - 1))
            self.stream.flush()
            self._drawn = True
            return
        now = self.clock()
        if force or now - self._last_line >= self.interval:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last_line = now

    def _bar(self, width: int) -> str:
        fraction = self.current.fraction if self.current else 0.0
        filled = round(fraction * width)
        return "[" + "#" * filled + "-" * (width - filled) + "]"
