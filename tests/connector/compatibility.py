"""Where our responses deliberately differ from the original connector's declared response
schemas. Each entry is a row of the compatibility table in ``connector/readme.md`` (a test
checks that), and is applied to the original's schema before our 2xx bodies are checked
against it, so anything NOT listed here is a failure."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema



def _error_object(schema: dict[str, Any]) -> None:
    """The original declares Error as a string in 7 operations and as an object in 35; the
    service always sent the object. Ours is always the object, with a Code."""
    props = schema.get("properties", {})
    if props.get("Error", {}).get("type") == "string":
        props["Error"] = {"type": "object", "properties": {"Code": {"type": "string"}, "Status": {"type": "string"},
                                                             "Message": {"type": "string"}}}


def _groups_array(schema: dict[str, Any]) -> None:
    """The original declares a campaign's Groups as a string in 10 send operations and as an
    array of groups in 24. Ours is always the array."""
    data = schema.get("properties", {}).get("Data", {})
    groups = data.get("properties", {}).get("Groups") if data.get("type") == "object" else None
    if groups is not None and groups.get("type") == "string":
        data["properties"]["Groups"] = {"type": "array", "items": {"type": "object", "properties": {
            "GroupId": {"type": "string"}, "Name": {"type": "string"}, "ContactsCount": {"type": "integer"}}}}


# Deliberate differences in 2xx response bodies: each ``name`` is a row of the readme's
# compatibility table (tests/connector/test_readme.py checks it is there).
DIFFERENCES: list[dict[str, Any]] = [
    {"name": "Error is always an object", "operations": "*", "apply": _error_object},
    {"name": "Groups of a campaign is always an array", "operations": "*", "apply": _groups_array},
]


def callable_original(doc: dict[str, Any]) -> dict[str, Any]:
    """The original definition as a flow calls it: unchanged operations; only what a generator
    needs to send requests (the body media type the platform sends, JSON)."""
    doc = copy.deepcopy(doc)
    doc["consumes"] = doc.get("consumes") or ["application/json"]
    doc["produces"] = doc.get("produces") or ["application/json"]
    return doc


def expected_schema(op: dict[str, Any], status: int) -> dict[str, Any] | None:
    response = op.get("responses", {}).get(str(status))
    if not response or "schema" not in response:
        return None
    schema = copy.deepcopy(response["schema"])
    for diff in DIFFERENCES:
        if diff["operations"] == "*" or op.get("operationId") in diff["operations"]:
            diff["apply"](schema)
    return schema


def check_response(op: dict[str, Any], response: Any) -> list[str]:
    if not 200 <= response.status_code < 300:
        return []
    schema = expected_schema(op, response.status_code)
    if schema is None:
        return []
    try:
        body = response.json()
    except ValueError:
        return [f"{response.status_code}: not JSON: {response.text[:200]}"]
    validator = jsonschema.Draft4Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(body)]


def property_paths(doc: dict[str, Any], schema: Any, prefix: str = "", seen: frozenset[str] = frozenset()) -> set[str]:
    """Every property a response schema declares, as slash paths (``Data/Groups[]/IsVisible``),
    refs followed (a ref already on the way down is not followed again)."""
    if not isinstance(schema, dict):
        return set()
    name = schema.get("$ref", "")
    if name in seen:
        return set()
    while isinstance(schema, dict) and "$ref" in schema:
        schema = doc["definitions"][schema["$ref"].split("/")[-1]]
    seen = seen | {name} if name else seen
    out: set[str] = set()
    for key, prop in (schema.get("properties") or {}).items():
        out.add(prefix + key)
        out |= property_paths(doc, prop, f"{prefix}{key}/", seen)
    if "items" in schema:
        out |= property_paths(doc, schema["items"], prefix.rstrip("/") + "[]/", seen)
    return out


def dropped_properties(original_doc: dict[str, Any], ours: dict[str, Any]) -> dict[str, list[str]]:
    """``operationId status`` -> the properties the original declares in a 2xx response (after
    the deliberate DIFFERENCES) that ours does not. The original declares nothing required, so
    validating bodies against its schemas cannot see a dropped field; comparing the property
    sets can."""
    mine = {op.get("operationId"): op for item in ours["paths"].values() for k, op in item.items()
            if not k.startswith("x-")}
    out: dict[str, list[str]] = {}
    for item in original_doc["paths"].values():
        for op in (v for k, v in item.items() if not k.startswith("x-")):
            for code in op.get("responses", {}):
                theirs = expected_schema(op, int(code)) if code.startswith("2") else None
                if theirs is None:
                    continue
                response = mine.get(op["operationId"], {}).get("responses", {}).get(code, {})
                gone = property_paths(original_doc, theirs) - property_paths(ours, response.get("schema"))
                if gone:
                    out[f"{op['operationId']} {code}"] = sorted(gone)
    return out
