"""The README and the docs link only to files in the repository (no design documents that
live elsewhere), and every relative link resolves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "devhost" / "README.md",
        ROOT / "infra" / "README.md"]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_architecture_docs_exist() -> None:
    assert (ROOT / "docs" / "architecture.md").is_file() and (ROOT / "docs" / "adding-an-operation.md").is_file()


def test_every_relative_link_resolves_inside_the_repository() -> None:
    broken = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target):  # http(s):, mailto: …
                continue
            path = (doc.parent / target).resolve()
            if not path.exists() or ROOT not in path.parents and path != ROOT:
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
        if "../shared/" in text:
            broken.append(f"{doc.relative_to(ROOT)} mentions ../shared/ (outside the repository)")
    assert broken == []
