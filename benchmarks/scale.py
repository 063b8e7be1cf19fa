"""The scale every benchmark runs at by default: the study's 576 repositories and 25,000 issues."""

from __future__ import annotations

import argparse


def scale_arguments(doc: str, passes: int | None = None, keep: bool = False, runs: int | None = None,
                    refresh: bool = False, issues: int = 25000, snapshot: bool = False) -> argparse.Namespace:
    """--repos, --issues and --seed of a benchmark described by ``doc``, and the options it asks for:
    --passes and --runs (given their defaults), --keep, --refresh and --snapshot."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--repos", type=int, default=576)
    parser.add_argument("--issues", type=int, default=issues)
    parser.add_argument("--seed", type=int, default=1)
    if passes is not None:
        parser.add_argument("--passes", type=int, default=passes, help=f"runs of the whole graph (default {passes})")
    if runs is not None:
        parser.add_argument("--runs", type=int, default=runs, help=f"fetch runs to profile (default {runs})")
    if refresh:
        parser.add_argument("--refresh", action="store_true", help="profile a refresh where nothing changed")
    if keep:
        parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary one)")
    if snapshot:
        parser.add_argument("--snapshot", help="serve this snapshot folder (generated when it holds none)")
    return parser.parse_args()
