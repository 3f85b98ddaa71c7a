"""The connector's readme follows Microsoft's certified-connector template, documents every
operation a maker sees, and its compatibility table lists every deliberate difference the
compatibility run applies."""

from __future__ import annotations

import json
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
    publish = json.loads((CONNECTOR / "publish.json").read_text(encoding="utf-8"))
    text = README.read_text(encoding="utf-8")
    assert text.startswith(f"# {publish['title']}\n")
    assert f"## Publisher: {publish['publisher']}\n" in text


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


def _makers_view(text: str) -> dict[str, list[str]]:
    block = text.split("<!-- BEGIN maker's view", 1)[1].split("<!-- END maker's view -->", 1)[0]
    out: dict[str, list[str]] = {}
    for line in block.splitlines():
        match = re.match(r"^- (Important|Others|Advanced)[^:]*: (.+)\.$", line)
        if match:
            out[match[1]] = match[2].split("; ")
    return out


def test_the_makers_view_lists_every_visible_action_by_visibility_important_first() -> None:
    view = _makers_view(README.read_text(encoding="utf-8"))
    expected: dict[str, list[str]] = {}
    for _, _, op in operations(definition()):
        vis = op.get("x-ms-visibility", "none")
        if "x-ms-trigger" not in op and vis != "internal":
            expected.setdefault({"important": "Important", "none": "Others", "advanced": "Advanced"}[vis],
                                []).append(op["summary"])
    assert view == expected
    assert list(view)[0] == "Important"


def test_the_makers_view_lists_each_trigger_with_its_outputs() -> None:
    text = README.read_text(encoding="utf-8").split("<!-- END maker's view -->")[0]
    doc = definition()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method.startswith("x-") or "x-ms-trigger" not in op:
                continue
            [line] = [ln for ln in text.splitlines() if ln.startswith(f"- {op['summary']}: outputs ")]
            if "x-ms-notification-content" in item:
                props = item["x-ms-notification-content"]["schema"]["properties"]
                for prop in props.values():
                    assert prop.get("x-ms-summary", "") in line, (op["operationId"], prop)


def test_the_error_table_documents_every_declared_error_status() -> None:
    from shared_code.web.swagger import ERROR_TEXT

    text = README.read_text(encoding="utf-8")
    table = text.split("### Errors", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip() for line in table.splitlines() if line.startswith("| ")}
    declared = {code for _, _, op in operations(definition()) for code in op["responses"] if code[0] in "45"}
    assert declared <= set(map(str, ERROR_TEXT)) and declared <= rows
