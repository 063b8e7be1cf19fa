"""A learned issue classifier: words, characters and the codebook rules, in one logistic regression.

Features of an issue (title counted three times, as the title decides hard cases; body prose without
code blocks, first 3,000 characters):
- TF-IDF of word 1-2-grams (sublinear term frequency, terms in at least two training issues);
- TF-IDF of character 2-4-grams within words (reads Chinese, identifiers and typos), the 30,000 most
  frequent;
- log(1 + score) of each category's codebook rules (``rules.rule_scores``).
Model: multinomial logistic regression (scikit-learn, L2, ``C``), classes weighted by inverse
frequency so that small categories are not ignored. Confidence: the top class probability after
temperature scaling, with the temperature fitted on cross-validated predictions so that a stated
confidence of 0.7 is right about 70% of the time.

A model is stored as plain arrays in one ``.npz`` file (vocabularies, idf weights, coefficients,
temperature), never as a pickle: it loads with any scikit-learn version and cannot run code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from issue_assets.analysis.rules import rule_scores
from issue_assets.analysis.taxonomy import CATEGORIES
from issue_assets.analysis.text import split_code

FORMAT = 1
WORD_OPTIONS = {"ngram_range": (1, 2), "sublinear_tf": True}
CHAR_OPTIONS = {"analyzer": "char_wb", "ngram_range": (2, 4), "sublinear_tf": True}
MAX_CHAR_FEATURES = 30_000
TITLE_REPEATS = 3
BODY_CHARACTERS = 3_000


def document(title: str | None, body: str | None) -> str:
    prose, _ = split_code(body or "")
    title = title or ""
    return " ".join([title] * TITLE_REPEATS) + "\n" + prose[:BODY_CHARACTERS]


def rule_rows(scores: Sequence[dict[str, float]]) -> np.ndarray:
    """The rule features of issues whose ``rule_scores`` are already known."""
    return np.log1p(np.array([[s[c] for c in CATEGORIES] for s in scores], dtype=float).reshape(-1, len(CATEGORIES)))


def rule_features(titles: Sequence[str], bodies: Sequence[str]) -> np.ndarray:
    return rule_rows([rule_scores(t, b)[0] for t, b in zip(titles, bodies, strict=True)])


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass
class LearnedClassifier:
    word: object  # TfidfVectorizer with a fixed vocabulary
    char: object
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)
    classes: list[str]
    temperature: float = 1.0

    def scores(self, titles: Sequence[str], bodies: Sequence[str], rules: np.ndarray | None = None) -> np.ndarray:
        """Decision scores (issues, classes); ``rules``: precomputed ``rule_features`` of the same issues."""
        from scipy import sparse

        docs = [document(t, b) for t, b in zip(titles, bodies, strict=True)]
        rules = rule_features(titles, bodies) if rules is None else rules
        features = sparse.hstack([self.word.transform(docs), self.char.transform(docs),
                                  sparse.csr_matrix(rules)]).tocsr()
        return features @ self.coef.T + self.intercept

    def predict_proba(self, titles: Sequence[str], bodies: Sequence[str],
                      rules: np.ndarray | None = None) -> np.ndarray:
        return _softmax(self.scores(titles, bodies, rules) / self.temperature)

    def predict(self, titles: Sequence[str], bodies: Sequence[str],
                rules: np.ndarray | None = None) -> tuple[list[str], np.ndarray]:
        """Category and calibrated confidence of each issue."""
        if not len(titles):
            return [], np.zeros(0)
        probabilities = self.predict_proba(titles, bodies, rules)
        best = probabilities.argmax(axis=1)
        return [self.classes[i] for i in best], probabilities[np.arange(len(best)), best]

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "classes": self.classes, "temperature": self.temperature,
                "word_vocabulary": self.word.get_feature_names_out().tolist(),
                "char_vocabulary": self.char.get_feature_names_out().tolist()}
        np.savez_compressed(path, meta=np.array(json.dumps(meta, ensure_ascii=False)),
                            word_idf=self.word.idf_.astype(np.float32), char_idf=self.char.idf_.astype(np.float32),
                            coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32))

    @classmethod
    def load(cls, path: str | Path) -> LearnedClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer

        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path}: classifier format {meta.get('format')}, this version reads {FORMAT}")
            word = TfidfVectorizer(vocabulary=meta["word_vocabulary"], **WORD_OPTIONS)
            word.idf_ = stored["word_idf"].astype(float)
            char = TfidfVectorizer(vocabulary=meta["char_vocabulary"], **CHAR_OPTIONS)
            char.idf_ = stored["char_idf"].astype(float)
            return cls(word, char, stored["coef"].astype(float), stored["intercept"].astype(float), meta["classes"],
                       float(meta["temperature"]))


def fit(titles: Sequence[str], bodies: Sequence[str], labels: Sequence[str], c: float,
        rules: np.ndarray) -> LearnedClassifier:
    """One classifier fitted on these issues (``rules``: their ``rule_features``), temperature 1."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    docs = [document(t, b) for t, b in zip(titles, bodies, strict=True)]
    word = TfidfVectorizer(min_df=2, **WORD_OPTIONS).fit(docs)
    char = TfidfVectorizer(min_df=2, max_features=MAX_CHAR_FEATURES, **CHAR_OPTIONS).fit(docs)
    features = sparse.hstack([word.transform(docs), char.transform(docs), sparse.csr_matrix(rules)]).tocsr()
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(features, list(labels))
    return LearnedClassifier(word, char, model.coef_, model.intercept_, list(model.classes_))


def cross_validated_scores(titles: Sequence[str], bodies: Sequence[str], labels: Sequence[str], c: float = 10.0,
                           folds: int = 5, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Out-of-fold decision scores (issues, classes) and the class order, for evaluation and calibration."""
    from sklearn.model_selection import StratifiedKFold

    titles, bodies, labels = list(titles), list(bodies), list(labels)
    rules = rule_features(titles, bodies)  # once: the regular expressions are the slow part
    classes = sorted(set(labels))
    scores = np.zeros((len(labels), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        fold = fit([titles[i] for i in train], [bodies[i] for i in train], [labels[i] for i in train], c,
                    rules[train])
        fold_scores = fold.scores([titles[i] for i in test], [bodies[i] for i in test], rules[test])
        for j, name in enumerate(fold.classes):
            scores[test, classes.index(name)] = fold_scores[:, j]
        missing = [k for k, name in enumerate(classes) if name not in fold.classes]
        if missing:  # a class absent from this fold's training issues can never be predicted for them
            scores[np.ix_(test, missing)] = -np.inf
    return scores, classes


def fit_temperature(scores: np.ndarray, classes: Sequence[str], labels: Sequence[str]) -> float:
    """The temperature that minimizes the negative log-likelihood of the true classes."""
    from scipy.optimize import minimize_scalar

    truth = np.array([list(classes).index(label) for label in labels])

    def nll(temperature: float) -> float:
        probabilities = _softmax(scores / temperature)
        return -float(np.log(np.clip(probabilities[np.arange(len(truth)), truth], 1e-12, 1)).mean())

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


def train(titles: Sequence[str], bodies: Sequence[str], labels: Sequence[str], c: float = 10.0,
          folds: int = 5, seed: int = 0) -> LearnedClassifier:
    """A classifier fitted on every issue, its temperature fitted on cross-validated scores."""
    return train_with_scores(titles, bodies, labels, c, folds, seed)[0]


def train_with_scores(titles: Sequence[str], bodies: Sequence[str], labels: Sequence[str], c: float, folds: int,
                       seed: int) -> tuple[LearnedClassifier, np.ndarray, list[str]]:
    unknown = sorted(set(labels) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"not taxonomy ids: {', '.join(unknown)}")
    counts = {label: list(labels).count(label) for label in set(labels)}
    if len(counts) < 2 or min(counts.values()) < folds:
        raise ValueError(f"every category used needs at least {folds} coded issues for {folds}-fold calibration; "
                         f"got {dict(sorted(counts.items()))}")
    scores, classes = cross_validated_scores(titles, bodies, labels, c, folds, seed)
    model = fit(list(titles), list(bodies), list(labels), c, rule_features(list(titles), list(bodies)))
    model.temperature = fit_temperature(scores, classes, labels)
    return model, scores, classes
