"""Text features of issues, labeled once per text, and the labeled_issues table built on them.

Labeling an issue (the classifier, language and sentiment of its text) costs milliseconds; the rest
of its features (state, times, labels, assignees) costs microseconds. The ``issue_texts`` table
keeps each issue's text features with ``text_digest``: the MD5 of the features' version
(``features.text_version``: the code, the text libraries and the classifier's model) and the text
they were computed from (title and body), computed inside DuckDB. Rows whose digest still matches
the issue are reused; the others are labeled again, their bodies read a chunk at a time, so memory
does not grow with the bodies of a million issues, and stored chunk by chunk.

Two callers fill it: the ``issue_texts`` asset, repository by repository as they are fetched (while
the next ones download), and ``labeled_issues``, for whatever is still missing. labeled_issues is
the table a full recomputation would write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from issue_assets import paths
from issue_assets.analysis.features import TEXT_COLUMNS, issue_features, text_features, text_version
from issue_assets.analysis.learned import LearnedClassifier
from issue_assets.warehouse import TEXT_KEYS, Warehouse

# Issues labeled per chunk: their bodies are in memory together (about 2 KB each).
CHUNK_ROWS = 50_000

@dataclass
class Labeling:
    table: pd.DataFrame  # labeled_issues, with text_digest
    labeled: int  # issues whose text features were computed now
    reused: int  # issues whose stored text features were still valid


@dataclass
class TextLabeling:
    issues: int  # live issues of the repositories
    labeled: int  # labeled now
    reused: int  # stored features still valid
    removed: int  # stored features of texts no longer there (changed, deleted or transferred issues)
    per_repository: dict[str, int]  # live issues (rows of issue_texts) of each repository


def current_classifier() -> tuple[LearnedClassifier | None, Path | None]:
    """The project's own classifier and its file once ``project_classifier`` wrote one (it beat the
    shipped model), else ``(None, None)``: the shipped model."""
    model_file = paths.project_classifier_path()
    if not model_file.exists():
        return None, None
    return LearnedClassifier.load(model_file), model_file


def classifier_name(classifier: LearnedClassifier | None) -> str:
    """How the assets' metadata and the terminal name the classifier that labeled the issues."""
    return "project classifier (project_classifier)" if classifier else "shipped learned classifier"


def _label_texts(warehouse: Warehouse, keys: pd.DataFrame, classifier: LearnedClassifier | None,
                 version: str) -> int:
    """Label the issues ``keys`` (repo, number) and store their text features, a chunk at a time
    (bodies read per chunk; the digest comes from the text labeled, whatever changed since)."""
    for start in range(0, len(keys), CHUNK_ROWS):
        texts = warehouse.texts_to_label(keys.iloc[start:start + CHUNK_ROWS], version)
        features = text_features(texts["title"], texts["body"], classifier)
        warehouse.store_text_features(pd.concat([texts[TEXT_KEYS], features], axis=1))
    return len(keys)


def label_repository_texts(warehouse: Warehouse, repos: Sequence[str], classifier: LearnedClassifier | None = None,
                           classifier_file: str | Path | None = None) -> TextLabeling:
    """Text features of every live issue of ``repos`` in issue_texts: the issues whose text (or
    classifier) has no features yet are labeled; features of texts no longer there are removed."""
    version = text_version(classifier_file)
    repos = list(repos)
    keys = warehouse.text_digests(repos, version)
    labeled = _label_texts(warehouse, warehouse.unlabeled(keys), classifier, version)
    removed = warehouse.remove_stale_text_features(repos, keys)
    counts = keys.groupby("repo").size()
    return TextLabeling(issues=len(keys), labeled=labeled, reused=len(keys) - labeled, removed=removed,
                        per_repository={repo: int(counts.get(repo, 0)) for repo in repos})


def label_issues(warehouse: Warehouse, classifier: LearnedClassifier | None = None,
                 classifier_file: str | Path | None = None, reuse: bool = True) -> Labeling:
    """labeled_issues for the live issues of the listed repositories; ``classifier`` (loaded from
    ``classifier_file``): a project's own, else the shipped model. ``reuse=False`` labels every issue."""
    version = text_version(classifier_file)
    raw = warehouse.listed_issues_for_labeling(version)
    keys = raw[TEXT_KEYS]
    labeled = _label_texts(warehouse, warehouse.unlabeled(keys) if reuse else keys, classifier, version)
    texts = warehouse.text_features_of(keys)
    if len(texts) != len(raw) or not (texts["number"].to_numpy() == raw["number"].to_numpy()).all():
        # Possible only when an issue_texts run removed a changed issue's row while this one read them.
        raise RuntimeError("issue_texts does not hold exactly one row per issue (changed while labeled_issues "
                           "read it?): materialize labeled_issues again")
    table = issue_features(raw.drop(columns="text_digest"), warehouse.contributors(), classifier,
                           texts=_typed(texts[TEXT_COLUMNS]))
    table["text_digest"] = texts["text_digest"].to_numpy()
    return Labeling(table, labeled=labeled, reused=len(raw) - labeled)


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
