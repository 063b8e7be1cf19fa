"""Issue features: what the study measured of each issue, plus the taxonomy label.

Definitions (one row per issue; pull requests never reach here):
- ``closed``: state is ``closed``. ``resolution_days``: (closed_at - created_at) in days, for
  closed issues only (open issues are right-censored: see ``age_days``).
- ``age_days``: days from creation to the repository's fetch time (the observation window of
  open issues, for survival analysis).
- ``self_closed``: the closer is the reporter; null when open or when the closer is unknown.
- ``ignored``: open, no comment, no label and no assignee (a missing comment count counts as none).
- ``title_length``/``body_length``: characters; ``body_lines``: lines of the body (0 when empty).
- ``has_code_block``: a fenced (```/~~~) or HTML (<pre>, <code>) code block in the body.
- ``has_url``: an http(s) or www link in the body.
- ``title_language``/``english_title``: py3langid on the title's prose (``text.language``: 19 candidate
  languages, Latin-letter titles English unless another language is 99% certain); ``english`` judges
  title and body together; null when there are no words to judge.
- ``sentiment_title``/``sentiment_body``: VADER compound score of the prose, in [-1, 1] (0 when
  there are no words); when the
  input carries these columns (the study's issueDB.csv), its scores are kept as given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from issue_assets.analysis import processes, text
from issue_assets.analysis.classifier import DEFAULT_MODEL, classify_frame
from issue_assets.analysis.learned import LearnedClassifier

FEATURE_COLUMNS = [
    "closed", "resolution_days", "age_days", "self_closed", "ignored", "title_length", "body_length",
    "body_lines", "has_code_block", "has_url", "title_language", "english_title", "english",
    "sentiment_title", "sentiment_body", "has_label", "n_labels", "has_assignee", "n_assignees",
    "repo_contributors",
]
# The features whose relation with closure the study tested (RQ3), in its order.
CLOSURE_FEATURES = [
    "has_label", "n_labels", "has_assignee", "n_assignees", "title_length", "body_length", "body_lines",
    "english_title", "has_code_block", "has_url", "repo_contributors", "sentiment_title", "sentiment_body",
]
LABELED_COLUMNS = [
    "repo", "number", "id", "title", "state", "user_login", "created_at", "closed_at", "closed_by", "comments",
    "labels", "assignees", "category", "confidence", "evidence", *FEATURE_COLUMNS,
]


def _list_length(values: pd.Series) -> pd.Series:
    return values.map(lambda v: 0 if v is None or (isinstance(v, float) and np.isnan(v)) else len(v)).astype(int)


def _nullable_bool(values: list, index: pd.Index | None = None) -> pd.Series:
    return pd.Series(values, dtype="boolean", index=index)


# The features computed from an issue's title and body alone: an issue whose text did not change
# keeps them (``labeling.label_issues`` reuses them instead of classifying the issue again).
TEXT_COLUMNS = [
    "category", "confidence", "evidence", "title_length", "body_length", "body_lines", "has_code_block", "has_url",
    "title_language", "english_title", "english", "sentiment_title", "sentiment_body",
]
TEXT_MODULES = ("issue_assets.analysis.rules", "issue_assets.analysis.classifier", "issue_assets.analysis.learned",
                "issue_assets.analysis.text", "issue_assets.analysis.features")
TEXT_LIBRARIES = ("scikit-learn", "py3langid", "vaderSentiment")


def text_version(classifier_file: str | Path | None = None) -> str:
    """A digest of everything the text features depend on besides the text: this code, the libraries
    that read the text, and the classifier's model file (a project's own, else the shipped one).
    Text features stored under another version are computed again."""
    import hashlib
    import importlib
    from importlib import metadata

    digest = hashlib.sha256()
    for module in TEXT_MODULES:
        digest.update(Path(importlib.import_module(module).__file__).read_bytes())
    for library in TEXT_LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    model = Path(classifier_file) if classifier_file else DEFAULT_MODEL
    digest.update(model.read_bytes() if model.exists() else b"rules only")
    return digest.hexdigest()[:16]


def text_features(titles: pd.Series, bodies: pd.Series, classifier: LearnedClassifier | None = None,
                  sentiment: bool = True,
                  workers: int | None = None) -> pd.DataFrame:
    """``TEXT_COLUMNS`` of each issue (same index): the taxonomy label and the features of its text
    (the sentiment columns null unless ``sentiment``), in ``workers`` processes (default: every core)
    when there are enough issues to repay starting them."""
    titles = titles.fillna("").astype(str)
    bodies = bodies.fillna("").astype(str)
    workers = processes.available_cores() if workers is None else workers
    if workers > 1 and len(titles) >= processes.PARALLEL_MIN_ROWS:
        return processes.in_processes(text_features, pd.DataFrame({"title": titles, "body": bodies}), workers,
                            lambda part: (part["title"], part["body"], classifier, sentiment, 1))
    out = classify_frame(pd.DataFrame({"title": titles, "body": bodies}), model=classifier)
    out["title_length"] = titles.str.len()
    out["body_length"] = bodies.str.len()
    out["body_lines"] = bodies.map(lambda b: len(b.splitlines()) if b else 0)
    out["has_code_block"] = bodies.map(text.has_code_block)
    out["has_url"] = bodies.map(text.has_url)
    out["title_language"] = titles.map(text.language)
    whole_language = [text.language(f"{t}\n{b}") for t, b in zip(titles, bodies, strict=True)]
    # pandas turns the None of "no words" into NaN: test with isna, not `is None`.
    out["english_title"] = _nullable_bool([None if pd.isna(lang) else lang == "en" for lang in out["title_language"]],
                                          out.index)
    out["english"] = _nullable_bool([None if pd.isna(lang) else lang == "en" for lang in whole_language], out.index)
    if sentiment:
        out["sentiment_title"] = titles.map(text.sentiment).astype(float)
        out["sentiment_body"] = bodies.map(text.sentiment).astype(float)
    return out.reindex(columns=TEXT_COLUMNS)


def issue_features(raw: pd.DataFrame, contributors: pd.Series | None = None,
                   classifier: LearnedClassifier | None = None,
                   texts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The labeled_issues table from raw_issues rows (same order); ``contributors`` maps repo → count;
    ``classifier``: a project's own ``LearnedClassifier`` (default: the shipped one); ``texts``: the
    ``TEXT_COLUMNS`` of these rows, already known (same order; then ``raw`` needs no ``body``)."""
    frame = raw.reset_index(drop=True).copy()
    created = pd.to_datetime(frame["created_at"])
    closed_at = pd.to_datetime(frame["closed_at"])
    fetched = pd.to_datetime(frame["fetched_at"]) if "fetched_at" in frame else pd.Series(pd.NaT, index=frame.index)
    closed = frame["state"].eq("closed")
    given_sentiment = [c for c in ("sentiment_title", "sentiment_body") if c in frame]
    if texts is None:
        texts = text_features(frame["title"], frame["body"], classifier, sentiment=len(given_sentiment) < 2)
    texts = texts.reset_index(drop=True)
    out = frame.reindex(columns=[c for c in LABELED_COLUMNS if c in frame.columns or c == "id"])
    out = pd.concat([out, texts.drop(columns=[c for c in texts.columns if c in out.columns])], axis=1)
    out["closed"] = closed
    out["resolution_days"] = ((closed_at - created).dt.total_seconds() / 86400).where(closed)
    out["age_days"] = ((closed_at.where(closed, fetched)) - created).dt.total_seconds() / 86400
    known_closer = frame["closed_by"].notna() & closed
    out["self_closed"] = _nullable_bool(
        [bool(c == u) if k else None for c, u, k in zip(frame["closed_by"], frame["user_login"], known_closer,
                                                          strict=True)])
    out["n_labels"] = _list_length(frame["labels"])
    out["n_assignees"] = _list_length(frame["assignees"])
    out["has_label"] = out["n_labels"] > 0
    out["has_assignee"] = out["n_assignees"] > 0
    out["ignored"] = ~closed & frame["comments"].fillna(0).eq(0) & ~out["has_label"] & ~out["has_assignee"]
    # Sentiment scores supplied with the issues (the study's replication package) are kept as given.
    for column in given_sentiment:
        out[column] = frame[column].astype(float)
    if contributors is not None:
        out["repo_contributors"] = frame["repo"].map(contributors).astype("Int64")
    else:
        out["repo_contributors"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    return out.reindex(columns=LABELED_COLUMNS)
