"""The labeled_issues table from the warehouse, labeling only the issues whose text changed.

Labeling an issue (the classifier, language and sentiment of its text) costs milliseconds; the rest
of its features (state, times, labels, assignees) costs microseconds. Each labeled row keeps
``text_digest``: the MD5 of the features' version (``features.text_version``: the code, the text
libraries and the classifier's model) and the issue's title and body, computed inside DuckDB. A
recomputation reuses the text features of every row whose digest is unchanged and labels the
others, reading their bodies a chunk at a time, so memory does not grow with the bodies of a
million issues. The result is the table a full recomputation would write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from issue_assets.analysis.features import TEXT_COLUMNS, issue_features, text_features, text_version
from issue_assets.warehouse import Warehouse

# Issues labeled per chunk: their bodies are in memory together (about 2 KB each).
CHUNK_ROWS = 50_000

# Deleted or transferred issues stay in raw_issues (as last seen), not in the analysis.
LISTED_ISSUES_SQL = """
    SELECT i.* EXCLUDE (deleted_at) FROM raw_issues i JOIN repositories r ON r.repo = i.repo AND r.listed
    WHERE i.deleted_at IS NULL
    ORDER BY i.repo, i.number
"""
_DIGEST = "md5(? || coalesce(i.title, '') || chr(0) || coalesce(i.body, ''))"
# An issue's observation time is its repository's last successful fetch, not the fetch that last
# brought the issue: a refresh asks only for issues updated since its cursor, and so confirms that
# every other issue is unchanged (an open one still open) at that time.
_LISTED_WITHOUT_BODIES_SQL = f"""
    SELECT i.* EXCLUDE (deleted_at, body, fetched_at),
           greatest(i.fetched_at, f.last_fetched_at) AS fetched_at, {_DIGEST} AS text_digest
    FROM raw_issues i JOIN repositories r ON r.repo = i.repo AND r.listed
    LEFT JOIN fetch_state f ON f.repo = i.repo
    WHERE i.deleted_at IS NULL
    ORDER BY i.repo, i.number
"""


_STORED_COLUMNS = ["repo", "number", "text_digest", *TEXT_COLUMNS]


@dataclass
class Labeling:
    table: pd.DataFrame  # labeled_issues, with text_digest
    labeled: int  # issues whose text features were computed now
    reused: int  # issues whose stored text features were still valid


def _stored_texts(store: Warehouse) -> pd.DataFrame:
    """The text features of the stored labeled_issues, by (repo, number, text_digest)."""
    with store.connect() as conn:
        columns = {row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'labeled_issues'").fetchall()}
        if not set(_STORED_COLUMNS) <= columns:  # no table yet, or one written before digests
            return pd.DataFrame(columns=_STORED_COLUMNS)
        return conn.execute(f"SELECT {', '.join(_STORED_COLUMNS)} FROM labeled_issues").df()


def _label_texts(store: Warehouse, keys: pd.DataFrame, classifier) -> pd.DataFrame:
    """Text features of the issues ``keys`` (repo, number), their bodies read a chunk at a time."""
    parts = []
    for start in range(0, len(keys), CHUNK_ROWS):
        chunk = keys.iloc[start:start + CHUNK_ROWS][["repo", "number"]]
        with store.connect() as conn:
            conn.register("_wanted", chunk)
            texts = conn.execute("SELECT w.repo, w.number, i.title, i.body FROM _wanted w "
                                 "JOIN raw_issues i USING (repo, number) ORDER BY w.repo, w.number").df()
            conn.unregister("_wanted")
        features = text_features(texts["title"], texts["body"], classifier)
        parts.append(pd.concat([texts[["repo", "number"]], features], axis=1))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["repo", "number", *TEXT_COLUMNS])


def label_issues(store: Warehouse, classifier=None, classifier_file: str | Path | None = None,
                 reuse: bool = True) -> Labeling:
    """labeled_issues for the live issues of the listed repositories; ``classifier`` (loaded from
    ``classifier_file``): a project's own, else the shipped model. ``reuse=False`` labels every issue."""
    version = text_version(classifier_file)
    raw = store.read(_LISTED_WITHOUT_BODIES_SQL, [version])
    contributors = store.read("SELECT repo, contributors FROM repo_metadata").set_index("repo")["contributors"]
    stored = _stored_texts(store) if reuse else pd.DataFrame(columns=_STORED_COLUMNS)
    keys = raw[["repo", "number", "text_digest"]]
    known = keys.merge(stored.drop_duplicates(["repo", "number", "text_digest"]), how="left",
                       on=["repo", "number", "text_digest"], indicator=True)
    missing = (known["_merge"] == "left_only").to_numpy()
    reused = known.loc[~missing, ["repo", "number", *TEXT_COLUMNS]]
    fresh = _label_texts(store, keys[missing], classifier)
    parts = [part for part in (reused, fresh) if len(part)]
    texts = pd.concat(parts, ignore_index=True) if parts else fresh
    texts = keys[["repo", "number"]].merge(texts, how="left", on=["repo", "number"])  # raw's order
    table = issue_features(raw.drop(columns="text_digest"), contributors, classifier,
                           texts=_typed(texts[TEXT_COLUMNS]))
    table["text_digest"] = raw["text_digest"].to_numpy()
    return Labeling(table, labeled=int(missing.sum()), reused=int((~missing).sum()))


def _typed(texts: pd.DataFrame) -> pd.DataFrame:
    """Text features with the types ``text_features`` gives them (a merge with no match leaves objects)."""
    out = texts.copy()
    for column in ("confidence", "sentiment_title", "sentiment_body"):
        out[column] = pd.to_numeric(out[column]).astype(float)
    for column in ("title_length", "body_length", "body_lines"):
        out[column] = pd.to_numeric(out[column]).astype(int)
    for column in ("has_code_block", "has_url"):
        out[column] = out[column].astype(bool)
    for column in ("english_title", "english"):
        out[column] = out[column].astype("boolean")
    for column in ("category", "evidence", "title_language"):
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out
