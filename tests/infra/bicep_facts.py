"""Parse Bicep / Bicep parameter files with tree-sitter and print what they declare, as JSON.

Run with the infra tools' interpreter (it needs ``tree-sitter-language-pack==0.13.0``, which
bundles a Bicep grammar; see requirements-infra.txt)::

    .venv-infra/bin/python tests/infra/bicep_facts.py infra/main.bicep infra/modules/*.bicep

For each file: syntax errors (ERROR / MISSING nodes, with line and column), ``targetScope``,
``using``, params (type, decorators, default), vars, outputs, resources, modules, and
"words" (identifiers and string text outside comments). Values
are converted to JSON where they are literals; expressions keep their structure:
``{"$ref": name}``, ``{"$call": fn, "args": [...]}``, ``{"$ternary": {...}}``,
``{"$for": {...}}``, ``{"$if": {...}}``, ``{"$interp": "text ${x}"}``, else ``{"$expr": text}``.

A ``.bicepparam`` file's ``param name = value`` lines are read as ``var name = value`` (the
grammar only knows .bicep; the rewrite keeps every column in place, so error positions stay
true) and reported under "params".

This script never imports the app's code: it runs in the separate infra virtualenv.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from tree_sitter_language_pack import get_parser

_PARAM_LINE = re.compile(rb"(?m)^([ \t]*)param(\s+[A-Za-z_][A-Za-z0-9_]*\s*=)")
_ESCAPES = {"\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$"}
_SKIP = {"comment", "(", ")", "[", "]", "{", "}", ",", ":", "=", "=>", "?"}


def _text(node: Any) -> str:
    return node.text.decode("utf-8")


def _named(node: Any) -> list[Any]:
    return [c for c in node.children if c.type not in _SKIP and c.is_named]


def _string(node: Any) -> Any:
    parts: list[str] = []
    interpolated = False
    for c in node.children:
        if c.type == "string_content":
            parts.append(_text(c))
        elif c.type == "escape_sequence":
            parts.append(_ESCAPES.get(_text(c), _text(c)))
        elif c.type == "interpolation":
            interpolated = True
            parts.append(_text(c))
    value = "".join(parts)
    return {"$interp": value} if interpolated else value


def convert(node: Any) -> Any:
    """A JSON view of an expression node."""
    t = node.type
    if t == "string":
        return _string(node)
    if t == "number":
        return int(_text(node))
    if t == "boolean":
        return _text(node) == "true"
    if t == "null":
        return None
    if t == "identifier":
        return {"$ref": _text(node)}
    if t == "parenthesized_expression":
        inner = _named(node)
        return convert(inner[0]) if len(inner) == 1 else {"$expr": _text(node)}
    if t == "array":
        return [convert(c) for c in _named(node)]
    if t == "object":
        out: dict[str, Any] = {}
        for prop in node.children:
            if prop.type != "object_property":
                continue
            kids = _named(prop)
            if len(kids) < 2:
                continue
            key_node, value_node = kids[0], kids[-1]
            key = _string(key_node) if key_node.type == "string" else _text(key_node)
            if isinstance(key, dict):  # an interpolated key such as '${identityId}'
                key = key["$interp"]
            out[key] = convert(value_node)
        return out
    if t == "call_expression":
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        return {"$call": _text(fn) if fn is not None else "?",
                "args": [convert(a) for a in _named(args)] if args is not None else []}
    if t == "ternary_expression":
        return {"$ternary": {"cond": convert(node.child_by_field_name("condition")),
                             "then": convert(node.child_by_field_name("consequence")),
                             "else": convert(node.child_by_field_name("alternative"))}}
    if t == "for_statement":
        kids = list(node.children)
        in_at = next(i for i, c in enumerate(kids) if c.type == "in")
        init = node.child_by_field_name("initializer")
        over = next(c for c in kids[in_at + 1:] if c.is_named and c.type != "comment")
        body = node.child_by_field_name("body")
        return {"$for": {"item": _text(init) if init is not None else "?",
                         "over": convert(over),
                         "body": convert(body) if body is not None else None}}
    if t == "if_statement":
        kids = _named(node)
        return {"$if": {"cond": {"$expr": _text(kids[0])}, "body": convert(kids[-1])}}
    return {"$expr": _text(node)}


def _decorators(node: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    if node is None or node.type != "decorators":
        return out
    for dec in node.children:
        if dec.type != "decorator":
            continue
        call = next((c for c in dec.children if c.type == "call_expression"), None)
        if call is None:
            continue
        value = convert(call)
        out[value["$call"]] = value["args"]
    return out


def _errors(root: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(n: Any) -> None:
        if n.type == "ERROR" or n.is_missing:
            found.append({"type": "MISSING " + n.type if n.is_missing else "ERROR",
                          "line": n.start_point[0] + 1, "column": n.start_point[1] + 1,
                          "text": _text(n)[:80]})
        for c in n.children:
            walk(c)

    walk(root)
    return found


def _words(root: Any) -> list[str]:
    """Identifiers, property names and string text outside comments (for "never mentioned" checks)."""
    found: set[str] = set()

    def walk(n: Any) -> None:
        if n.type == "comment":
            return
        if n.type in ("identifier", "property_identifier", "string_content"):
            found.add(_text(n))
        for c in n.children:
            walk(c)

    walk(root)
    return sorted(found)


def facts(path: Path) -> dict[str, Any]:
    src = path.read_bytes()
    kind = "bicepparam" if path.suffix == ".bicepparam" else "bicep"
    param_names: set[str] = set()
    if kind == "bicepparam":
        param_names = {m.group(2).split(b"=")[0].strip().decode() for m in _PARAM_LINE.finditer(src)}
        src = _PARAM_LINE.sub(rb"\1var  \2", src)  # same length: positions unchanged
    tree = get_parser("bicep").parse(src)
    root = tree.root_node
    result: dict[str, Any] = {"kind": kind, "errors": _errors(root), "target_scope": None,
                              "using": None, "params": {}, "vars": {}, "outputs": {},
                              "resources": [], "modules": [], "words": _words(root)}
    prev = None
    for node in root.children:
        decorators = _decorators(prev)
        kids = _named(node)
        if node.type == "target_scope_assignment":
            result["target_scope"] = convert(kids[-1])
        elif node.type == "using_statement":
            result["using"] = convert(kids[-1])
        elif node.type == "parameter_declaration":
            name = _text(kids[0])
            type_node = next((k for k in kids[1:] if k.type == "type"), None)
            has_default = any(c.type == "=" for c in node.children)
            result["params"][name] = {
                "type": _text(type_node) if type_node is not None else None,
                "secure": "secure" in decorators,
                "decorators": decorators,
                "has_default": has_default,
                "default": convert(kids[-1]) if has_default else None,
            }
        elif node.type == "variable_declaration":
            name = _text(kids[0])
            value = convert(kids[-1])
            if name in param_names:
                result["params"][name] = {"value": value, "line": node.start_point[0] + 1}
            else:
                result["vars"][name] = value
        elif node.type == "output_declaration":
            name = _text(kids[0])
            type_node = next((k for k in kids[1:] if k.type == "type"), None)
            result["outputs"][name] = {"type": _text(type_node) if type_node is not None else None,
                                       "decorators": decorators, "value": convert(kids[-1])}
        elif node.type in ("resource_declaration", "module_declaration"):
            symbol = _text(kids[0])
            ref = _string(kids[1]) if kids[1].type == "string" else _text(kids[1])
            entry: dict[str, Any] = {"symbol": symbol, "decorators": decorators,
                                     "existing": any(c.type == "existing" for c in node.children),
                                     "body": convert(kids[-1])}
            if node.type == "resource_declaration":
                rtype, _, api = str(ref).partition("@")
                entry.update(type=rtype, api_version=api)
                result["resources"].append(entry)
            else:
                entry["path"] = ref
                result["modules"].append(entry)
        if node.type != "comment":
            prev = node
    return result


def main(argv: list[str]) -> int:
    out = {"files": {}}
    for arg in argv:
        path = Path(arg)
        out["files"][arg] = facts(path)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
