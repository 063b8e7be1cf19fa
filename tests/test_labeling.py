"""Text features labeled once per text (issue_texts) and labeled_issues built on them: only issues whose
text (or classifier) changed are labeled again."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from issue_assets import labeling
from issue_assets.analysis.features import LABELED_COLUMNS
from issue_assets.mining import issue_row
from issue_assets.warehouse import Warehouse, insert, table_digest

FETCHED = datetime(2024, 6, 1)
TEXTS = [
    ("Traceback when training on my own data", "```\nRuntimeError: CUDA out of memory\n```\nHow do I fix it?"),
    ("How to run inference on a video?", "Which script should I use? Thanks!"),
    ("Pretrained weights for the large model", ""),
    ("安装失败", "pip install 报错"),
    ("Results lower than in the paper", "I get 71.2 mAP, the paper reports 74.5."),
]


def _issue(repo: str, number: int, title: str, body: str, state: str = "closed") -> dict:
    return issue_row(repo, {
        "number": number, "id": number * 10, "title": title, "body": body, "state": state,
        "user": {"login": "reporter"}, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-02-01T00:00:00Z",
        "closed_at": "2024-01-05T00:00:00Z" if state == "closed" else None, "comments": number % 3,
        "labels": [{"name": "bug"}] if number % 2 else [], "html_url": f"https://github.com/{repo}/issues/{number}",
    }, FETCHED)


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with warehouse.transaction() as conn:
        insert(conn, "repositories", pd.DataFrame([{"repo": r, "listed": True} for r in ("o/a", "o/b")]))
        insert(conn, "repo_metadata", pd.DataFrame([{"repo": "o/a", "contributors": 4},
                                                    {"repo": "o/b", "contributors": 1}]))
        insert(conn, "raw_issues", pd.DataFrame(
            [_issue("o/a" if i < 3 else "o/b", i + 1, t, b, "closed" if i % 2 else "open")
             for i, (t, b) in enumerate(TEXTS)]))
    return warehouse


def _relabel(warehouse: Warehouse, **options) -> labeling.Labeling:
    result = labeling.label_issues(warehouse, **options)
    warehouse.replace_table("labeled_issues", result.table)
    return result


def test_a_second_run_reuses_every_label_and_writes_the_same_table(warehouse):
    first = _relabel(warehouse)
    assert (first.labeled, first.reused) == (5, 0)
    assert list(first.table.columns) == [*LABELED_COLUMNS, "text_digest"]
    second = _relabel(warehouse)
    assert (second.labeled, second.reused) == (0, 5)
    assert table_digest(second.table) == table_digest(first.table)


def test_only_changed_and_new_issues_are_labeled_and_the_table_equals_a_full_recomputation(warehouse):
    _relabel(warehouse)
    with warehouse.transaction() as conn:
        conn.execute("UPDATE raw_issues SET body = 'It crashes with a segmentation fault', state = 'open', "
                     "closed_at = NULL WHERE repo = 'o/a' AND number = 2")
        conn.execute("UPDATE raw_issues SET comments = 9 WHERE repo = 'o/b' AND number = 4")  # text unchanged
        conn.execute("UPDATE raw_issues SET deleted_at = TIMESTAMP '2024-06-02' WHERE repo = 'o/b' AND number = 5")
        insert(conn, "raw_issues", pd.DataFrame([_issue("o/b", 6, "Add ONNX export", "Would be nice to have.")]))
    result = _relabel(warehouse)
    assert (result.labeled, result.reused) == (2, 3)
    full = labeling.label_issues(warehouse, reuse=False)
    assert full.labeled == 5
    assert table_digest(result.table) == table_digest(full.table)
    row = result.table.set_index(["repo", "number"]).loc[("o/b", 4)]
    assert row["comments"] == 9  # state features are always current
    assert ("o/b", 5) not in set(zip(result.table["repo"], result.table["number"], strict=True))


def test_another_classifier_or_version_labels_everything_again(warehouse, tmp_path, monkeypatch):
    _relabel(warehouse)
    other_model = tmp_path / "project_classifier.npz"
    other_model.write_bytes(b"another model")  # only its bytes enter the version
    assert labeling.label_issues(warehouse, classifier_file=other_model).labeled == 5
    monkeypatch.setattr(labeling, "text_version", lambda classifier_file=None: "a later release")
    assert labeling.label_issues(warehouse).labeled == 5


def test_issues_are_labeled_a_chunk_at_a_time(warehouse, monkeypatch):
    monkeypatch.setattr(labeling, "CHUNK_ROWS", 2)
    chunked = labeling.label_issues(warehouse)
    assert chunked.labeled == 5 and len(warehouse.table("issue_texts")) == 5
    monkeypatch.setattr(labeling, "CHUNK_ROWS", 50_000)
    assert table_digest(chunked.table) == table_digest(labeling.label_issues(warehouse, reuse=False).table)


def test_repositories_labeled_as_they_are_fetched_leave_labeled_issues_nothing_to_label(warehouse):
    """What the issue_texts asset does for each fetched range of repositories."""
    first = labeling.label_repository_texts(warehouse, ["o/a"])
    assert (first.issues, first.labeled, first.reused, first.removed) == (3, 3, 0, 0)
    assert set(warehouse.table("issue_texts")["repo"]) == {"o/a"}
    again = labeling.label_repository_texts(warehouse, ["o/a"])
    assert (again.labeled, again.reused) == (0, 3)
    result = labeling.label_issues(warehouse)
    assert (result.labeled, result.reused) == (2, 3)  # o/b's issues only
    assert table_digest(result.table) == table_digest(labeling.label_issues(warehouse, reuse=False).table)


def test_a_repositorys_changed_and_deleted_issues_are_labeled_again_or_forgotten(warehouse):
    labeling.label_repository_texts(warehouse, ["o/a", "o/b"])
    with warehouse.transaction() as conn:
        conn.execute("UPDATE raw_issues SET title = 'Segfault on start' WHERE repo = 'o/a' AND number = 1")
        conn.execute("UPDATE raw_issues SET deleted_at = TIMESTAMP '2024-06-02' WHERE repo = 'o/a' AND number = 3")
        conn.execute("UPDATE raw_issues SET deleted_at = TIMESTAMP '2024-06-02' WHERE repo = 'o/b' AND number = 5")
    update = labeling.label_repository_texts(warehouse, ["o/a"])
    assert (update.issues, update.labeled, update.reused, update.removed) == (2, 1, 1, 1)
    texts = warehouse.table("issue_texts").set_index(["repo", "number"])
    assert len(texts) == 4 and ("o/a", 3) not in texts.index  # o/b was not asked for: its row stays
    assert texts.loc[("o/a", 1), "title_length"] == len("Segfault on start")
    assert not texts.index.duplicated().any()


def test_features_are_stored_with_the_digest_of_the_text_they_were_computed_from(warehouse, monkeypatch):
    """A fetch may change an issue between the read of the digests and the read of the text."""
    real = labeling.text_features

    def text_features_after_a_fetch(titles, bodies, classifier=None):
        with warehouse.transaction() as conn:
            conn.execute("UPDATE raw_issues SET title = 'Changed meanwhile' WHERE repo = 'o/a' AND number = 1")
        return real(titles, bodies, classifier)

    monkeypatch.setattr(labeling, "text_features", text_features_after_a_fetch)
    labeling.label_repository_texts(warehouse, ["o/a"])
    monkeypatch.setattr(labeling, "text_features", real)
    # The row labeled is the old text's, with the old text's digest: the next run labels it again.
    assert labeling.label_repository_texts(warehouse, ["o/a"]).labeled == 1
    row = warehouse.table("issue_texts").set_index(["repo", "number"]).loc[("o/a", 1)]
    assert row["title_length"] == len("Changed meanwhile")


def test_text_features_in_processes_equal_one_process(monkeypatch):
    from issue_assets.analysis import features, processes

    monkeypatch.setattr(processes, "PARALLEL_MIN_ROWS", 2)
    titles = pd.Series([t for t, _ in TEXTS] * 3, index=range(100, 115))
    bodies = pd.Series([b for _, b in TEXTS] * 3, index=range(100, 115))
    parallel = features.text_features(titles, bodies, workers=2)
    pd.testing.assert_frame_equal(parallel, features.text_features(titles, bodies, workers=1))


def test_stopping_the_worker_processes_leaves_none_behind(monkeypatch):
    """loky keeps its workers 5 minutes; a labeling process, which waits for its children when it exits,
    stops them first (``pipeline._Labeler.wait``)."""
    import multiprocessing

    from issue_assets.analysis import features, processes
    from issue_assets.analysis.processes import stop_processes

    def loky_children() -> list:
        return [p for p in multiprocessing.active_children() if type(p).__name__ == "LokyProcess"]

    monkeypatch.setattr(processes, "PARALLEL_MIN_ROWS", 2)
    features.text_features(pd.Series([t for t, _ in TEXTS]), pd.Series([b for _, b in TEXTS]), workers=2)
    assert loky_children()
    stop_processes()
    assert not loky_children()


def test_open_issues_are_observed_until_their_repositorys_last_fetch(warehouse):
    with warehouse.transaction() as conn:
        conn.execute("INSERT INTO fetch_state (repo, last_fetched_at) VALUES ('o/a', TIMESTAMP '2024-07-01')")
    table = labeling.label_issues(warehouse).table.set_index(["repo", "number"])
    # o/a's refresh on July 1st did not list its open issue 1 again: it was still open then.
    assert table.loc[("o/a", 1), "age_days"] == (datetime(2024, 7, 1) - datetime(2024, 1, 1)).days
    assert table.loc[("o/b", 5), "age_days"] == (FETCHED - datetime(2024, 1, 1)).days  # no cursor: its row's time
    assert table.loc[("o/a", 2), "age_days"] == 4  # closed: closing time
