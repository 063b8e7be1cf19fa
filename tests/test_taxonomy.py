"""The taxonomy module is the codebook's table: same ids in the same order, same names and descriptions."""

from __future__ import annotations

import re

from issue_assets.analysis.taxonomy import CATEGORIES, TAXONOMY
from tests.conftest import shared_path

ROW = re.compile(r"^\| `(?P<id>[a-z_]+)` \| (?P<name>[^|]+) \| (?P<description>.+) \|$")


def test_taxonomy_is_the_codebooks_table():
    rows = [ROW.match(line) for line in shared_path("taxonomy.md").read_text(encoding="utf-8").splitlines()]
    codebook = [(m["id"], m["name"].strip(), m["description"].replace("`", "").strip()) for m in rows if m]
    assert len(codebook) == 13
    assert [(c.id, c.name, c.description) for c in TAXONOMY] == codebook


def test_category_ids_are_unique_and_in_the_codebooks_order():
    assert len(set(CATEGORIES)) == len(CATEGORIES) == 13
    assert CATEGORIES[:2] == ("runtime_error", "unclear_instructions") and CATEGORIES[-1] == "other"
