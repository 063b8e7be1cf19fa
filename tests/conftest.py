"""Shared fixtures: small deterministic snapshots, emulators on free loopback ports, fast clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from issue_assets.emulator.generator import generate_snapshot
from issue_assets.emulator.server import EmulatorState, Faults, GitHubEmulator
from issue_assets.emulator.snapshot import read_snapshot
from issue_assets.github.cache import ConditionalCache
from issue_assets.github.client import GitHubClient

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def small_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 repositories, 600 issues (plus pull requests), fixed seed."""
    path = tmp_path_factory.mktemp("snapshot")
    generate_snapshot(path, repos=8, issues=600, seed=7)
    return path


@pytest.fixture
def start_emulator(small_snapshot: Path) -> Iterator[Callable[..., GitHubEmulator]]:
    """Start an emulator over a fresh copy of the small snapshot; stopped after the test."""
    started: list[GitHubEmulator] = []

    def start(faults: Faults | None = None, snapshot: Path | None = None, **kwargs) -> GitHubEmulator:
        state = EmulatorState(read_snapshot(snapshot or small_snapshot), faults)
        emulator = GitHubEmulator(state, **kwargs).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


class RecordingSleep:
    """A sleep that records what it was asked and sleeps only a token amount."""

    def __init__(self, real_fraction: float = 0.0):
        self.calls: list[float] = []
        self.real_fraction = real_fraction

    def __call__(self, seconds: float) -> None:
        import time

        self.calls.append(seconds)
        if self.real_fraction:
            time.sleep(seconds * self.real_fraction)


@pytest.fixture
def make_client() -> Callable[..., GitHubClient]:
    def make(url: str, tokens=None, **kwargs) -> GitHubClient:
        kwargs.setdefault("backoff_base", 0.001)
        kwargs.setdefault("secondary_limit_wait", 0.001)
        kwargs.setdefault("timeout", 10)
        kwargs.setdefault("cache", ConditionalCache())
        return GitHubClient(url, tokens, **kwargs)

    return make


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def shared_path(*parts: str) -> Path:
    """A file of ../shared, or a skip naming what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: these tests need the project's shared/ folder beside the repository")
    return path
