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

import numpy as np
import pandas as pd

from issue_assets.analysis import text
from issue_assets.analysis.classifier import available_cores, classify_frame

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


def _nullable_bool(values: list) -> pd.Series:
    return pd.Series(values, dtype="boolean")


def issue_features(raw: pd.DataFrame, contributors: pd.Series | None = None, classifier=None) -> pd.DataFrame:
    """The labeled_issues table from raw_issues rows (same order); ``contributors`` maps repo → count;
    ``classifier``: a project's own ``LearnedClassifier`` (default: the shipped one)."""
    frame = raw.reset_index(drop=True).copy()
    titles = frame["title"].fillna("").astype(str)
    bodies = frame["body"].fillna("").astype(str)
    created = pd.to_datetime(frame["created_at"])
    closed_at = pd.to_datetime(frame["closed_at"])
    fetched = pd.to_datetime(frame["fetched_at"]) if "fetched_at" in frame else pd.Series(pd.NaT, index=frame.index)
    closed = frame["state"].eq("closed")
    out = frame.reindex(columns=[c for c in LABELED_COLUMNS if c in frame.columns or c == "id"])
    out = pd.concat([out, classify_frame(frame, model=classifier, workers=available_cores())], axis=1)
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
    out["title_length"] = titles.str.len()
    out["body_length"] = bodies.str.len()
    out["body_lines"] = bodies.map(lambda b: len(b.splitlines()) if b else 0)
    out["has_code_block"] = bodies.map(text.has_code_block)
    out["has_url"] = bodies.map(text.has_url)
    out["title_language"] = titles.map(text.language)
    whole_language = [text.language(f"{t}\n{b}") for t, b in zip(titles, bodies, strict=True)]
    # pandas turns the None of "no words" into NaN: test with isna, not `is None`.
    out["english_title"] = _nullable_bool([None if pd.isna(lang) else lang == "en" for lang in out["title_language"]])
    out["english"] = _nullable_bool([None if pd.isna(lang) else lang == "en" for lang in whole_language])
    # Sentiment scores supplied with the issues (the study's replication package) are kept as given.
    for column, texts in (("sentiment_title", titles), ("sentiment_body", bodies)):
        given = frame.get(column)
        out[column] = (given if given is not None else texts.map(text.sentiment)).astype(float)
    if contributors is not None:
        out["repo_contributors"] = frame["repo"].map(contributors).astype("Int64")
    else:
        out["repo_contributors"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    return out.reindex(columns=LABELED_COLUMNS)
