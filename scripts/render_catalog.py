"""Write the warehouse's tables and columns (issue_assets/catalog.py) into docs/reference.md.

    .venv/bin/python scripts/render_catalog.py [--check]

Rewrites the part of the page between its two catalog markers; ``--check`` only says whether it is
current (exit 1 when not), as tests/test_catalog.py does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from issue_assets.catalog import markdown

PAGE = Path(__file__).resolve().parents[1] / "docs" / "reference.md"
BEGIN = "<!-- catalog: written by scripts/render_catalog.py from issue_assets/catalog.py; edit those, not this -->"
END = "<!-- catalog end -->"


def rendered(page: str) -> str:
    """``page`` with the catalog section written anew."""
    if page.count(BEGIN) != 1 or page.count(END) != 1 or page.index(BEGIN) > page.index(END):
        raise ValueError(f"{PAGE}: expected one pair of catalog markers:\n{BEGIN}\n{END}")
    head, rest = page.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n\n{markdown()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is not current; write nothing")
    args = parser.parse_args(argv)
    page = PAGE.read_text(encoding="utf-8")
    new = rendered(page)
    if args.check:
        if new != page:
            print(f"{PAGE} is not current: run .venv/bin/python scripts/render_catalog.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    print(f"wrote the catalog into {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
