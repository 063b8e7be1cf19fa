"""The issue classifier against the hand-coded development set (annotations/hand_codes.csv).

    .venv/bin/python benchmarks/classifier_eval.py [--split dev|heldout|both] [--method default|rules]

The codes (ids and categories only) live in the repository; the texts are read from
../shared/paper-data/issue_texts.csv. Tune on `dev`; `heldout` is for the reported numbers only.
The shipped model (`--method default`) is trained on `dev`, so its `dev` numbers are in-sample:
its honest dev estimate is the cross-validation that scripts/train_classifier.py runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from issue_assets.analysis.annotation import agreement  # noqa: E402
from issue_assets.analysis.classifier import classify_frame  # noqa: E402
from issue_assets.analysis.evaluation import calibration_error, evaluate  # noqa: E402

CODES = ROOT / "annotations" / "hand_codes.csv"
RETEST = ROOT / "annotations" / "retest_codes.csv"
TEXTS = ROOT.parent / "shared" / "paper-data" / "issue_texts.csv"


def coded_texts() -> pd.DataFrame:
    if not TEXTS.exists():
        raise SystemExit(f"{TEXTS} is absent: the evaluation needs the project's shared/ folder beside the repository")
    codes = pd.read_csv(CODES, dtype=str)
    texts = pd.read_csv(TEXTS, dtype=str, keep_default_na=False)
    joined = codes.merge(texts.rename(columns={"Identity_Global": "id", "Title": "title", "Body": "body"})[
        ["id", "title", "body"]], on="id", how="left", validate="one_to_one")
    missing = joined["title"].isna().sum()
    if missing:
        raise SystemExit(f"{missing} coded ids have no text in {TEXTS}")
    return joined


def retest_agreement() -> None:
    """The coder against their own blind re-coding of a random part of dev: how consistent the labels are."""
    first = pd.read_csv(CODES, dtype=str)
    again = pd.read_csv(RETEST, dtype=str).merge(first, on="id", suffixes=("_retest", ""), validate="one_to_one")
    result = agreement(again["category"], again["category_retest"])
    print(f"coder test-retest on {result.n} dev issues: observed {result.observed:.3f}, "
          f"kappa {result.kappa:.3f} [{result.ci_low:.3f}, {result.ci_high:.3f}] ({result.strength})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "heldout", "both"), default="dev")
    parser.add_argument("--method", choices=("default", "rules"), default="default")
    args = parser.parse_args()
    data = coded_texts()
    retest_agreement()
    splits = ["dev", "heldout"] if args.split == "both" else [args.split]
    for split in splits:
        part = data[data["split"] == split].reset_index(drop=True)
        started = time.perf_counter()
        labels = classify_frame(part, method=args.method)
        seconds = time.perf_counter() - started
        result = evaluate(part["category"], labels["category"])
        ece = calibration_error(labels["confidence"], labels["category"] == part["category"])
        print(f"\n== {split} ({args.method}): {result.summary()}, calibration error {ece:.3f} "
              f"({seconds * 1000 / len(part):.1f} ms per issue)")
        print(result.per_class.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        print(result.confusion.to_string())


if __name__ == "__main__":
    main()
