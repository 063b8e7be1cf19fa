"""The scale every benchmark runs at by default: the study's 576 repositories and 25,000 issues."""

from __future__ import annotations

import argparse


def scale_arguments(doc: str) -> argparse.Namespace:
    """--repos, --issues and --seed of a benchmark whose description is the first line of ``doc``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--repos", type=int, default=576)
    parser.add_argument("--issues", type=int, default=25000)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()
