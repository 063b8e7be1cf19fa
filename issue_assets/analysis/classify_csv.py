"""``issue-assets classify``: the issues of a CSV labeled with the taxonomy (and, with ``features``, every
text feature of ``labeled_issues``), streamed a chunk at a time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from issue_assets.analysis.classifier import classify_frame
from issue_assets.analysis.features import TEXT_COLUMNS, text_features
from issue_assets.analysis.processes import available_cores
from issue_assets.analysis.taxonomy import CATEGORIES

CLASSIFY_INPUT = ("id", "title")  # body is optional: an issue may have none
CLASSIFY_OUTPUT = ["id", "category", "confidence"]
# The text features of labeled_issues after the label (evidence is an explanation, not a feature).
FEATURE_OUTPUT = [c for c in TEXT_COLUMNS if c not in ("category", "confidence", "evidence")]


def classify_csv(source: str | Path, target: str | Path, chunk_rows: int = 20_000,
                 workers: int | None = None, features: bool = False) -> pd.Series:
    """Label the issues of a CSV (``id,title,body``) into ``id,category,confidence`` (with ``features``,
    followed by ``FEATURE_OUTPUT``, computed by ``features.text_features`` as for ``labeled_issues``), in
    input order, streaming ``chunk_rows`` at a time so that a million issues need little memory, each
    chunk in ``workers`` processes (default: every available core). Returns the counts per category.
    Raises ``ValueError`` naming the problem when the input cannot be read."""
    workers = workers or available_cores()
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise ValueError(f"{source}: no such file")
    columns = CLASSIFY_OUTPUT + (FEATURE_OUTPUT if features else [])
    counts = pd.Series(0, index=list(CATEGORIES), dtype=int)
    try:
        chunks = pd.read_csv(source, dtype=str, keep_default_na=False, chunksize=chunk_rows, encoding="utf-8")
        with target.open("w", newline="", encoding="utf-8") as out:
            for number, chunk in enumerate(chunks):
                missing = [c for c in CLASSIFY_INPUT if c not in chunk.columns]
                if missing:
                    raise ValueError(f"{source}: missing column(s) {', '.join(missing)}; found "
                                     f"{', '.join(chunk.columns)} (expected id,title,body)")
                if "body" not in chunk.columns:
                    chunk["body"] = ""
                if features:
                    labels = text_features(chunk["title"], chunk["body"], workers=workers)
                else:
                    labels = classify_frame(chunk, workers=workers)
                result = pd.concat([chunk[["id"]], labels[columns[1:]]], axis=1)
                result.to_csv(out, index=False, header=number == 0)
                counts = counts.add(labels["category"].value_counts(), fill_value=0).astype(int)
            if out.tell() == 0:
                out.write(",".join(columns) + "\n")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        target.unlink(missing_ok=True)  # a half-written output would look complete
        raise ValueError(f"{source}: not a readable UTF-8 CSV ({exc})") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{source}: empty file (expected a header id,title,body)") from None
    except ValueError:
        target.unlink(missing_ok=True)
        raise
    return counts
