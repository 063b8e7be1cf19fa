"""The scale every benchmark runs at by default: the study's 576 repositories and 25,000 issues."""

from __future__ import annotations

import argparse


def scale_arguments(doc: str, passes: int | None = None, keep: bool = False) -> argparse.Namespace:
    """--repos, --issues and --seed (and --passes when given a default, --keep when asked) of a benchmark
    described by ``doc``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--repos", type=int, default=576)
    parser.add_argument("--issues", type=int, default=25000)
    parser.add_argument("--seed", type=int, default=1)
    if passes is not None:
        parser.add_argument("--passes", type=int, default=passes, help=f"runs of the whole graph (default {passes})")
    if keep:
        parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary one)")
    return parser.parse_args()
