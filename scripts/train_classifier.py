"""Train the shipped issue classifier on the hand-coded issues (annotations/hand_codes.csv).

    .venv/bin/python scripts/train_classifier.py [--splits dev] [--c 10]

Reads the texts from ../shared/paper-data/issue_texts.csv (only at training time: the model file holds
vocabularies and weights, no text) and writes issue_assets/analysis/models/issue_classifier.npz.
Train on `dev` only while the held-out split is still being used to report the model's quality.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from classifier_eval import coded_texts  # noqa: E402

from issue_assets.analysis import learned  # noqa: E402
from issue_assets.analysis.classifier import DEFAULT_MODEL  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--splits", nargs="+", default=["dev"], choices=["dev", "heldout"])
    parser.add_argument("--c", type=float, default=10.0, help="inverse L2 regularization strength")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    data = coded_texts()
    data = data[data["split"].isin(args.splits)].reset_index(drop=True)
    started = time.perf_counter()
    model = learned.train(data["title"], data["body"], data["category"], c=args.c)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"trained on {len(data)} issues ({', '.join(args.splits)}) in {time.perf_counter() - started:.0f} s; "
          f"temperature {model.temperature:.2f}; wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
