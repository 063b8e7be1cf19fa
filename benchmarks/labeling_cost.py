"""What labeling a real issue costs, part by part, on the study's own issue texts.

    .venv/bin/python benchmarks/labeling_cost.py [--repeat 3] [--workers 2]

The 4,490 texts of ../shared/paper-data/issue_texts.csv, repeated ``--repeat`` times. In one process,
per issue: the codebook rules (``rules.rule_scores``, with and without the literal prefilter),
the learned model's word and character n-grams (``LearnedClassifier.predict``), the language
(py3langid, title and whole text) and the sentiment (VADER, title and body). Then the whole of
``features.text_features`` in ``--workers`` processes, as ``labeled_issues`` runs it, and what that
means for a million issues.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from issue_assets.analysis import classifier, rules, text  # noqa: E402
from issue_assets.analysis.features import text_features  # noqa: E402
from issue_assets.analysis.learned import rule_rows  # noqa: E402

TEXTS = ROOT.parent / "shared" / "paper-data" / "issue_texts.csv"


def per_issue_ms(function, count: int) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000 / count


def without_prefilter():
    """The rules with every pattern searched in every text (what the prefilter saves)."""
    saved = {c: list(patterns) for c, patterns in rules._COMPILED.items()}
    for category, patterns in saved.items():
        rules._COMPILED[category] = [(pattern, weight, None) for pattern, weight, _ in patterns]
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not TEXTS.exists():
        raise SystemExit(f"{TEXTS} is absent: this measurement needs the project's shared/ folder")
    texts = pd.read_csv(TEXTS, dtype=str, keep_default_na=False)
    titles = pd.concat([texts["Title"]] * args.repeat, ignore_index=True)
    bodies = pd.concat([texts["Body"]] * args.repeat, ignore_index=True)
    n = len(titles)
    pairs = list(zip(titles, bodies, strict=True))
    print(f"{n} issue texts ({len(texts)} real ones x {args.repeat}), mean body {bodies.str.len().mean():.0f} chars")

    scores = []
    parts = {"rules (prefilter)": per_issue_ms(lambda: scores.extend(rules.rule_scores(t, b)[0]
                                                                     for t, b in pairs), n)}
    saved = without_prefilter()
    baseline = []
    parts["rules (no prefilter)"] = per_issue_ms(lambda: baseline.extend(rules.rule_scores(t, b)[0]
                                                                         for t, b in pairs), n)
    rules._COMPILED.update(saved)
    assert scores == baseline, "the prefilter changed a rule score"
    model = classifier.default_model()
    rule_features = rule_rows(scores)
    parts["model n-grams"] = per_issue_ms(lambda: model.predict(list(titles), list(bodies), rule_features), n)
    parts["language"] = per_issue_ms(lambda: [(text.language(t), text.language(f"{t}\n{b}")) for t, b in pairs], n)
    parts["sentiment"] = per_issue_ms(lambda: [(text.sentiment(t), text.sentiment(b)) for t, b in pairs], n)
    for name, ms in parts.items():
        print(f"  {name:<22} {ms:6.2f} ms per issue")

    text_features(titles.head(100), bodies.head(100), workers=1)  # warm the model cache
    whole = per_issue_ms(lambda: text_features(titles, bodies, workers=args.workers), n)
    print(f"text_features, {args.workers} processes: {whole:.2f} ms per issue ({1000 / whole:.0f} issues/s), "
          f"{whole * 1e6 / 60_000:.0f} minutes per million issues")


if __name__ == "__main__":
    main()
