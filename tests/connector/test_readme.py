"""The connector's readme follows Microsoft's certified-connector template, documents every
operation a maker sees, and its compatibility table lists every deliberate difference the
compatibility run applies."""

from __future__ import annotations

import re

from .compatibility import DIFFERENCES
from .helpers import CONNECTOR, SCHEMAS, definition, operations

README = CONNECTOR / "readme.md"


def headings(text: str, level: str) -> list[str]:
    return [h.strip() for h in re.findall(rf"^{level} (.+)$", text, re.M)]


def test_readme_has_the_templates_required_sections() -> None:
    template = (SCHEMAS / "certified-readme-template.md").read_text(encoding="utf-8")
    required = [h.split(":")[0] for h in headings(template, "##")
                if re.search(rf"^## {re.escape(h)}\s*\n+Required", template, re.M)]
    assert {"Publisher", "Prerequisites", "Supported Operations", "Obtaining Credentials",
            "Known Issues and Limitations", "Deployment Instructions"} <= set(required)
    ours = [h.split(":")[0] for h in headings(README.read_text(encoding="utf-8"), "##")]
    assert [h for h in required if h not in ours] == []
    assert README.read_text(encoding="utf-8").startswith("# Power Textor\n")


def test_every_visible_operation_is_documented() -> None:
    documented = headings(README.read_text(encoding="utf-8"), "###")
    for _, _, op in operations(definition()):
        if op.get("x-ms-visibility") == "internal":
            continue
        suffix = " (trigger)" if "x-ms-trigger" in op else ""
        assert f"{op['summary']}{suffix}" in documented, op["operationId"]


def test_compatibility_table_lists_every_applied_difference() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("## Compatibility with the original connector", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")]
    for diff in DIFFERENCES:
        assert diff["name"] in rows, diff["name"]
