"""Language and sentiment features on real issue texts (../shared/paper-data/issue_texts.csv).

    .venv/bin/python benchmarks/text_features.py

Prints the title languages py3langid finds (as `features.title_language` uses it) and, over the
hand-coded issues, the VADER sentiment of each category: how much the lexicon's reading of technical
words (error, fail, crash) colours the sentiment features of the closure tests and models.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from issue_assets.analysis.text import language, sentiment  # noqa: E402

TEXTS = ROOT.parent / "shared" / "paper-data" / "issue_texts.csv"


def main() -> None:
    if not TEXTS.exists():
        raise SystemExit(f"{TEXTS} is absent: this measurement needs the project's shared/ folder")
    texts = pd.read_csv(TEXTS, dtype=str, keep_default_na=False)
    languages = texts["Title"].map(language).value_counts(dropna=False)
    print(f"title languages of {len(texts)} issues:", ", ".join(f"{k} {v}" for k, v in languages.items()))
    codes = pd.read_csv(ROOT / "annotations" / "hand_codes.csv", dtype=str).merge(
        texts.rename(columns={"Identity_Global": "id"}), on="id")
    codes["sentiment"] = [sentiment(f"{t}\n{b}") for t, b in zip(codes["Title"], codes["Body"], strict=True)]
    table = codes.groupby("category")["sentiment"].agg(
        issues="size", mean="mean", negative_share=lambda s: (s < -0.05).mean()).sort_values("mean")
    print("\nVADER compound score of title and body, by hand-coded category:")
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
