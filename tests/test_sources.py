"""Repository lists: seed CSV, the study's repoDB.csv, a Papers With Code links dump; the registry."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from issue_assets.sources.repositories import (
    SourceError,
    normalize_repo,
    read_pwc_links,
    read_repo_db,
    read_seed_csv,
    read_source,
    update_registry,
)
from tests.conftest import shared_path


@pytest.mark.parametrize(("entry", "expected"), [
    ("owner/name", "owner/name"),
    ("https://github.com/Owner/Name", "Owner/Name"),
    ("https://github.com/owner/name.git", "owner/name"),
    ("github.com/owner/name/tree/master/projects/x", "owner/name"),
    ("google-research/google-research/tree/master/robust_loss", "google-research/google-research"),
    (" owner/name/ ", "owner/name"),
])
def test_normalize_repo(entry, expected):
    assert normalize_repo(entry) == expected


@pytest.mark.parametrize("entry", ["", "justone", "https://gitlab.com/a/b", "bad owner/x"])
def test_normalize_repo_rejects(entry):
    from issue_assets.github.errors import InvalidRepoName

    with pytest.raises(InvalidRepoName):
        normalize_repo(entry)


def test_seed_csv_deduplicates_and_reports_rejected_rows(tmp_path):
    path = tmp_path / "repos.csv"
    path.write_text(
        "repo,paper,conference,year,framework,owner_type\n"
        "a/mono,Paper 1,CVPR,2019,pytorch,industry\n"
        "https://github.com/A/Mono/tree/main/p2,Paper 2,iccv,2021,,\n"
        "b/one,,NeurIPS 2020,,tf,Academia\n"
        "not a repo,,,,,\n"
        "https://gitlab.com/x/y,,,,,\n", "utf-8")
    listing = read_seed_csv(path)
    frame = listing.repositories
    assert list(frame["repo"]) == ["a/mono", "b/one"]
    mono = frame.iloc[0]
    assert mono["papers"] == 2 and mono["paper"] == "Paper 1" and mono["conference"] == "cvpr" and mono["year"] == 2019
    assert mono["framework"] == "pytorch" and mono["owner_type"] == "industry"
    assert frame.iloc[1]["conference"] == "neurips" and frame.iloc[1]["owner_type"] == "academia"
    assert [r["where"] for r in listing.rejected] == ["repos.csv:5", "repos.csv:6"]


def test_seed_csv_reports_each_merged_duplicate_and_rejects_a_short_row(tmp_path):
    path = tmp_path / "repos.csv"
    path.write_text("repo,paper\n"
                    "o/name,P1\n"
                    "O/Name,P1\n"
                    "https://github.com/o/name,\n"
                    "o/name/tree/main/x,P2\n"
                    "o/other\n", "utf-8")
    listing = read_seed_csv(path)
    assert list(listing.repositories["repo"]) == ["o/name"] and listing.repositories.iloc[0]["papers"] == 2
    merged = {m["where"]: m["reason"] for m in listing.merged}
    assert set(merged) == {"repos.csv:3", "repos.csv:4", "repos.csv:5"}
    assert merged["repos.csv:3"] == "the same repository as o/name (repos.csv:2)"
    assert merged["repos.csv:5"].startswith("another paper of o/name (repos.csv:2)")
    assert [(r["where"], r["reason"]) for r in listing.rejected] == [
        ("repos.csv:6", "the row has 1 of the header's 2 fields (truncated?)")]


def test_seed_csv_errors_are_clear(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        read_seed_csv(tmp_path / "missing.csv")
    (tmp_path / "wrong.csv").write_text("name\nx/y\n", "utf-8")
    with pytest.raises(SourceError, match=r"missing column.*repo"):
        read_seed_csv(tmp_path / "wrong.csv")
    (tmp_path / "latin.csv").write_bytes(b"repo\n\xe9t\xe9/x\n")
    with pytest.raises(SourceError, match=r"not UTF-8 text: line 2 holds byte 0xe9.*Latin-1"):
        read_seed_csv(tmp_path / "latin.csv")
    with pytest.raises(SourceError, match="unknown repository source"):
        read_source("ftp", "x")


def test_the_study_repo_db_has_570_repositories():
    listing = read_repo_db(shared_path("paper-data", "repoDB.csv"))
    frame = listing.repositories
    assert listing.rejected == []
    assert len(frame) == 570  # 576 paper rows; mono-repositories and sub-folders merged
    assert frame["repo"].str.lower().is_unique
    assert int(frame["papers"].sum()) == 576
    assert set(frame["owner_type"].dropna()) <= {"academia", "industry"}
    google = frame[frame["repo"] == "google-research/google-research"].iloc[0]
    assert google["papers"] > 1


def _write_gz(path, data):
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(data, handle)


def test_papers_with_code_links_are_filtered_by_venue(tmp_path):
    links = [
        {"paper_url": "https://paperswithcode.com/paper/a", "paper_title": "A", "repo_url": "https://github.com/x/a",
         "is_official": True, "framework": "pytorch"},
        {"paper_url": "https://paperswithcode.com/paper/b", "paper_title": "B", "repo_url": "https://github.com/x/b",
         "is_official": True, "framework": "tf"},
        {"paper_url": "https://paperswithcode.com/paper/c", "paper_title": "C", "repo_url": "https://github.com/x/c",
         "is_official": False, "framework": "none"},
        {"paper_url": "https://paperswithcode.com/paper/d", "paper_title": "D", "repo_url": "https://gitlab.com/x/d",
         "is_official": True, "framework": "none"},
        {"paper_url": "https://paperswithcode.com/paper/e", "paper_title": "E", "repo_url": "https://github.com/x/a",
         "is_official": True, "framework": "pytorch"},
    ]
    papers = [
        {"paper_url": "https://paperswithcode.com/paper/a", "title": "A", "proceeding": "cvpr-2019-6"},
        {"paper_url": "https://paperswithcode.com/paper/b", "title": "B", "proceeding": "icml-2015-7"},
        {"paper_url": "https://paperswithcode.com/paper/c", "title": "C", "proceeding": "cvpr-2020-1"},
        {"paper_url": "https://paperswithcode.com/paper/d", "title": "D", "proceeding": "cvpr-2020-1"},
        {"paper_url": "https://paperswithcode.com/paper/e", "title": "E", "proceeding": "nips-2019-12"},
    ]
    _write_gz(tmp_path / "links.json.gz", links)
    _write_gz(tmp_path / "papers.json.gz", papers)
    listing = read_pwc_links(tmp_path / "links.json.gz", tmp_path / "papers.json.gz", years=[2019, 2020])
    frame = listing.repositories
    assert list(frame["repo"]) == ["x/a"]  # b: 2015; c: unofficial; d: not GitHub; e: same repository as a
    assert frame.iloc[0]["papers"] == 2 and frame.iloc[0]["conference"] == "cvpr"
    assert [r["entry"] for r in listing.rejected] == ["https://gitlab.com/x/d"]
    everything = read_pwc_links(tmp_path / "links.json.gz", conferences=None, official_only=False)
    assert sorted(everything.repositories["repo"]) == ["x/a", "x/b", "x/c"]
    with pytest.raises(SourceError, match="needs the papers dump"):
        read_pwc_links(tmp_path / "links.json.gz", conferences=["cvpr"])
    (tmp_path / "broken.json.gz").write_bytes(b"not gzip")
    with pytest.raises(SourceError, match="not a \\(gzipped\\) JSON"):
        read_pwc_links(tmp_path / "broken.json.gz", conferences=None)


def test_registry_keeps_repositories_that_left_the_list():
    t0, t1, t2 = (pd.Timestamp(f"2026-01-0{d}") for d in (1, 2, 3))
    first = pd.DataFrame({"repo": ["a/x", "b/y"], "papers": [1, 1]})
    empty = pd.DataFrame(columns=["repo", "listed", "first_listed_at"])
    one = update_registry(empty, first, t0)
    assert one.added == ["a/x", "b/y"] and one.removed == []
    second = update_registry(one.table, pd.DataFrame({"repo": ["A/X", "c/z"], "papers": [1, 1]}), t1)
    table = second.table.set_index("repo")
    assert second.added == ["c/z"] and second.removed == ["b/y"]
    assert "a/x" in table.index and "A/X" not in table.index  # the registered spelling is kept
    assert table.loc["a/x", "first_listed_at"] == t0 and table.loc["a/x", "last_listed_at"] == t1
    assert not table.loc["b/y", "listed"]
    third = update_registry(second.table, pd.DataFrame({"repo": ["a/x", "b/y", "c/z"], "papers": [1, 1, 1]}), t2)
    assert third.returned == ["b/y"] and third.added == [] and third.table["listed"].all()


def test_the_launchpad_offers_every_source_kind():
    from issue_assets.defs.resources import RepositorySourceResource, SourceKind
    from issue_assets.sources.repositories import SOURCE_KINDS

    assert [kind.value for kind in SourceKind] == list(SOURCE_KINDS)
    assert RepositorySourceResource(kind="repo_db", path="x.csv").resolved() == ("repo_db", "x.csv")
