"""Repository lists: read, normalize and deduplicate them.

Every reader returns a :class:`RepositoryList`: one row per repository (``owner/name``, as GitHub
spells it in the source) with the paper it came from, and the entries it could not use together
with the reason, so that nothing leaves the list unreported.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from issue_assets.github.client import parse_repo_name
from issue_assets.github.errors import InvalidRepoName

# The columns of the `repositories` table that come from a source.
REPOSITORY_COLUMNS = ["repo", "paper", "conference", "year", "framework", "owner_type", "papers", "source"]

# The study's conferences (Papers With Code proceedings), in the spelling of repoDB.csv.
STUDY_CONFERENCES = ("cvpr", "iclr", "icml", "neurips", "eccv", "iccv", "aaai", "acl", "kdd", "aamas")
OWNER_TYPES = ("academia", "industry")
_CONFERENCE_ALIASES = {"nips": "neurips", "sigkdd": "kdd"}
_GITHUB_URL = re.compile(r"^(?:https?://)?(?:www\.)?github\.com/", re.IGNORECASE)


class SourceError(ValueError):
    """A repository list that cannot be read at all (missing file, wrong format, missing column)."""


@dataclass
class RepositoryList:
    repositories: pd.DataFrame
    rejected: list[dict[str, str]] = field(default_factory=list)  # {"entry", "where", "reason"}
    # Later rows of a repository already listed, merged into its first row: {"entry", "where", "reason"}.
    merged: list[dict[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.repositories)


def normalize_repo(entry: str) -> str:
    """``owner/name`` from ``owner/name``, a GitHub URL, or a mono-repository sub-folder path.

    Raises :class:`InvalidRepoName` for anything that does not name a GitHub repository.
    """
    text = (entry or "").strip()
    if not text:
        raise InvalidRepoName("empty repository name")
    if "://" in text or text.lower().startswith(("github.com/", "www.github.com/")):
        if not _GITHUB_URL.match(text):
            raise InvalidRepoName(f"not a GitHub repository URL: {text!r}")
        text = _GITHUB_URL.sub("", text)
    text = text.split("?")[0].split("#")[0].strip("/")
    parts = text.split("/")
    if len(parts) < 2:
        raise InvalidRepoName(f"expected owner/name, got {entry!r}")
    owner, name = parts[0], parts[1]
    name = name.removesuffix(".git")
    owner, name = parse_repo_name(f"{owner}/{name}")
    return f"{owner}/{name}"


def clean_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    text = str(value).strip()
    return text if text and text.lower() not in ("nan", "none", "null") else None


def parse_year(value: Any) -> int | None:
    text = clean_text(value)
    if text is None:
        return None
    match = re.search(r"(19|20)\d\d", text)
    return int(match.group(0)) if match else None


def parse_conference(value: Any) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    token = re.split(r"[^a-z]+", text.lower())
    name = next((t for t in token if t), None)
    return _CONFERENCE_ALIASES.get(name, name) if name else None


def parse_owner_type(value: Any) -> str | None:
    text = clean_text(value)
    return text.lower() if text and text.lower() in OWNER_TYPES else None


def _frame(rows: Iterable[Mapping[str, Any]], source: str) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=[c for c in REPOSITORY_COLUMNS if c != "source"])
    frame["papers"] = frame["papers"].fillna(1).astype(int)  # each row is one paper unless said otherwise
    frame["source"] = source
    frame["year"] = frame["year"].astype("Int64")
    return frame


def deduplicate(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per repository (case-insensitive, as GitHub compares names).

    Mono-repositories appear once per paper: the first row's paper fields are kept, ``papers``
    counts the rows merged, and a missing field is filled from a later row. Columns beyond the
    ``repositories`` table's are kept the same way, after them.
    """
    if frame.empty:
        return frame.reindex(columns=REPOSITORY_COLUMNS).reset_index(drop=True)
    key = frame["repo"].str.lower()
    grouped = frame.groupby(key, sort=False)
    first = grouped.first()  # first non-null value of each column, per repository
    first["repo"] = grouped["repo"].first()
    first["papers"] = grouped["papers"].sum().astype(int)
    first["year"] = first["year"].astype("Int64")
    return first.reset_index(drop=True)[[*REPOSITORY_COLUMNS, *(c for c in frame if c not in REPOSITORY_COLUMNS)]]


def _collect(entries: Iterable[tuple[str, str, dict[str, Any] | str]], source: str) -> RepositoryList:
    """entries: (raw repository entry, where it was found, the other fields or why the row is malformed)."""
    rows, rejected, merged = [], [], []
    first: dict[str, tuple[str, str, Any]] = {}  # repository (lower case) -> where, spelling, paper of its first row
    for raw, where, fields in entries:
        if isinstance(fields, str):
            rejected.append({"entry": str(raw or ""), "where": where, "reason": fields})
            continue
        try:
            repo = normalize_repo(raw)
        except InvalidRepoName as exc:
            rejected.append({"entry": str(raw), "where": where, "reason": str(exc)})
            continue
        key, papers = repo.lower(), 1
        if key in first:
            first_where, first_repo, first_paper = first[key]
            paper = fields.get("paper")
            if paper and paper != first_paper:
                reason = f"another paper of {first_repo} ({first_where}): counted in its `papers`"
            else:  # a repeated line fills fields the first one lacks, but is not another paper
                reason, papers = f"the same repository as {first_repo} ({first_where})", 0
            merged.append({"entry": str(raw), "where": where, "reason": reason})
        else:
            first[key] = (where, repo, fields.get("paper"))
        rows.append({"repo": repo, **fields, "papers": papers})
    return RepositoryList(deduplicate(_frame(rows, source)), rejected, merged)


def malformed(record: Mapping[str | None, Any], header: Sequence[str]) -> str | None:
    """Why a CSV record does not have exactly the header's fields (a truncated or overlong row), or None."""
    extra = record.get(None)
    given = len(header) - sum(record.get(column) is None for column in header)
    if extra:
        return f"the row has {len(header) + len(extra)} fields, the header {len(header)}"
    if given < len(header):
        return f"the row has {given} of the header's {len(header)} fields (truncated?)"
    return None


def _first_undecodable(path: Path) -> tuple[int, int]:
    """The first line (1-based) that is not UTF-8, and its offending byte. A UTF-8 character never
    spans a newline, so lines decode on their own."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, line[exc.start]
    return 0, 0


def read_csv_records(path: Path, required: Sequence[str]) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """(line where each record starts, record) of a UTF-8 CSV, and its header; fails on missing columns."""
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    csv.field_size_limit(1 << 26)  # GitHub bodies reach 65,536 characters; leave room for odd exports
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in required if c not in header]
            if missing:
                found = ", ".join(header) or "none"
                raise SourceError(f"{path}: missing column(s) {', '.join(missing)}; found {found}")
            reader.fieldnames = header
            records, start = [], reader.line_num + 1
            for row in reader:  # a quoted field may span lines: a record starts after the previous one
                records.append((start, row))
                start = reader.line_num + 1
            return records, header
    except UnicodeDecodeError:
        line, byte = _first_undecodable(path)
        raise SourceError(f"{path}: not UTF-8 text: line {line} holds byte 0x{byte:02x}, which UTF-8 does not "
                          "allow there (is the file in another encoding, such as Latin-1 or Windows-1252? Save "
                          "it as UTF-8)") from None
    except csv.Error as exc:
        raise SourceError(f"{path}: malformed CSV ({exc})") from None


def _read_table(path: Path, repo_column: str, columns: Mapping[str, str], source: str) -> RepositoryList:
    """A CSV list: ``columns`` maps our fields (paper, conference, year, framework, owner_type) to its headers."""
    records, header = read_csv_records(path, [repo_column])
    parse = {"paper": clean_text, "conference": parse_conference, "year": parse_year, "framework": clean_text,
             "owner_type": parse_owner_type}
    return _collect(
        ((row.get(repo_column) or "", f"{path.name}:{line}",
          malformed(row, header) or {name: parse[name](row.get(column)) for name, column in columns.items()})
         for line, row in records),
        source=f"{source}:{path.name}",
    )


def read_seed_csv(path: str | Path) -> RepositoryList:
    """A seed CSV: a ``repo`` column of ``owner/name`` (or GitHub URLs), optionally paper,
    conference, year, framework, owner_type."""
    fields = ("paper", "conference", "year", "framework", "owner_type")
    return _read_table(Path(path), "repo", {name: name for name in fields}, "seed")


def read_repo_db(path: str | Path) -> RepositoryList:
    """The study's ``repoDB.csv`` (one row per paper; sub-folder paths name their repository)."""
    return _read_table(Path(path), "Name_Repo", {
        "paper": "Name_Paper", "conference": "Conference_Paper", "year": "Year_Paper", "framework": "Framework",
        "owner_type": "Owners",
    }, "repodb")


def _load_json(path: Path) -> Any:
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: not a (gzipped) JSON file: {exc}") from None


def read_pwc_links(
    links: str | Path,
    papers: str | Path | None = None,
    conferences: Sequence[str] | None = STUDY_CONFERENCES,
    years: Sequence[int] | None = None,
    official_only: bool = True,
) -> RepositoryList:
    """A Papers With Code ``links-between-papers-and-code.json.gz`` dump.

    The links dump has no venue: ``papers`` (``papers-with-abstracts.json.gz``) supplies each
    paper's proceeding (``cvpr-2019-6``), from which conference and year come, as the study
    selected them. Without it, ``conferences`` and ``years`` must be None. Non-GitHub code
    links and unofficial implementations (``official_only``) are reported, not kept.
    """
    links_path = Path(links)
    entries = _load_json(links_path)
    if not isinstance(entries, list):
        raise SourceError(f"{links_path}: expected a JSON list of paper-code links")
    venues: dict[str, tuple[str | None, int | None, str | None]] = {}
    if papers is not None:
        papers_path = Path(papers)
        paper_entries = _load_json(papers_path)
        if not isinstance(paper_entries, list):
            raise SourceError(f"{papers_path}: expected a JSON list of papers")
        for paper in paper_entries:
            if isinstance(paper, dict) and paper.get("paper_url"):
                proceeding = paper.get("proceeding") or paper.get("conference")
                year = parse_year(proceeding) or parse_year(paper.get("date"))
                venues[paper["paper_url"]] = (parse_conference(proceeding), year, clean_text(paper.get("title")))
    elif conferences or years:
        raise SourceError("filtering a links dump by conference or year needs the papers dump "
                          "(papers-with-abstracts.json.gz): the links dump has no venue")
    wanted_conferences = {parse_conference(c) for c in conferences} if conferences else None
    wanted_years = {int(y) for y in years} if years else None

    def selected() -> Iterable[tuple[str, str, dict[str, Any]]]:
        for index, link in enumerate(entries):
            where = f"{links_path.name}[{index}]"
            if not isinstance(link, dict):
                continue
            repo_url = link.get("repo_url") or ""
            if official_only and not link.get("is_official"):
                continue
            conference, year, title = venues.get(link.get("paper_url") or "", (None, None, None))
            if wanted_conferences is not None and conference not in wanted_conferences:
                continue
            if wanted_years is not None and year not in wanted_years:
                continue
            yield repo_url, where, {
                "paper": clean_text(link.get("paper_title")) or title, "conference": conference, "year": year,
                "framework": clean_text(link.get("framework")), "owner_type": None,
            }

    return _collect(selected(), source=f"pwc:{links_path.name}")


SOURCE_KINDS = ("demo", "seed_csv", "pwc_links", "repo_db")


def read_source(kind: str, path: str | Path | None = None, *, papers: str | Path | None = None,
                conferences: Sequence[str] | None = None, years: Sequence[int] | None = None) -> RepositoryList:
    """Dispatch on the configured source kind (``demo`` reads the demo snapshot's list at ``path``)."""
    if kind not in SOURCE_KINDS:
        raise SourceError(f"unknown repository source {kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
    if path is None:
        raise SourceError(f"repository source {kind!r} needs a path")
    if kind in ("demo", "seed_csv"):
        return read_seed_csv(path)
    if kind == "repo_db":
        return read_repo_db(path)
    return read_pwc_links(path, papers, conferences=conferences or (STUDY_CONFERENCES if papers else None),
                          years=years)


@dataclass
class RegistryUpdate:
    table: pd.DataFrame  # the new `repositories` table
    added: list[str]
    removed: list[str]  # listed before, absent now: kept with listed = false
    returned: list[str]  # absent before, listed again


def update_registry(current: pd.DataFrame, listed: pd.DataFrame, now: pd.Timestamp) -> RegistryUpdate:
    """Merge a freshly read list into the `repositories` table. Repositories that left the list
    stay in the table (and their issues in the warehouse) with ``listed = false``."""
    current = current.copy()
    known = {r.lower(): r for r in current["repo"]} if len(current) else {}
    was_listed = {r.lower() for r, flag in zip(current.get("repo", []), current.get("listed", []), strict=True)
                  if bool(flag)}
    fresh = listed.copy()
    # Keep the spelling under which a repository was first registered (its partition key).
    fresh["repo"] = [known.get(r.lower(), r) for r in fresh["repo"]]
    fresh_keys = {r.lower() for r in fresh["repo"]}
    first = dict(zip(current.get("repo", []), current.get("first_listed_at", []), strict=True))
    fresh["listed"] = True
    fresh["first_listed_at"] = [first.get(r, now) if r in first else now for r in fresh["repo"]]
    fresh["last_listed_at"] = now
    gone = current[~current["repo"].str.lower().isin(fresh_keys)].copy() if len(current) else current
    if len(gone):
        gone["listed"] = False
    table = pd.concat([frame for frame in (fresh, gone) if len(frame)], ignore_index=True) if len(fresh) or len(gone) \
        else fresh
    return RegistryUpdate(
        table=table.reset_index(drop=True),
        added=[r for r in fresh["repo"] if r.lower() not in known],
        removed=sorted(r for r in gone.get("repo", []) if r.lower() in was_listed),
        returned=[r for r in fresh["repo"] if r.lower() in known and r.lower() not in was_listed],
    )
