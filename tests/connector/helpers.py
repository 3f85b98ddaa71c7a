"""Loading the connector's files and Microsoft's schemas (JSON with comments)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reference"  # vendored public definitions and schemas (reference/README.md)
SCHEMAS = REFERENCE / "powerplatform-schemas"
ORIGINAL = REFERENCE / "powertextor" / "apiDefinition.swagger.json"
DEFINITION = ROOT / "apiDefinition.swagger.json"
PROPERTIES = ROOT / "apiProperties.json"
CONNECTOR = ROOT / "connector"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
# HTTP functions that are not connector operations: Twilio's webhooks and the tracked review link.
NOT_OPERATIONS = {"TwilioStatusCallback", "TwilioInbound", "FollowReviewLink"}


def strip_jsonc(text: str) -> str:
    """JSON with comments -> JSON: drop // and /* */ comments outside strings, then trailing
    commas before } or ]."""
    out: list[str] = []
    i, n, in_string = 0, len(text), False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
            continue
        if c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def load_jsonc(path: Path) -> Any:
    return json.loads(strip_jsonc(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=None)
def _load(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def definition() -> dict[str, Any]:
    return json.loads(_load(str(DEFINITION)))


def original() -> dict[str, Any]:
    return json.loads(_load(str(ORIGINAL)))


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation of a Swagger document."""
    return [(m, p, op) for p, item in doc["paths"].items() for m, op in item.items() if m in METHODS]


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = doc["definitions"][name]
    return schema


def registered_http_functions() -> dict[str, tuple[str, str]]:
    """name -> (method, path) of every HTTP function of function_app.app but the portal's,
    path as in the definition (host.json's routePrefix is "": the route says api/ itself)."""
    from function_app import app

    app.functions_bindings = None
    try:
        functions = app.get_functions()
    finally:
        app.functions_bindings = None
    out: dict[str, tuple[str, str]] = {}
    for f in functions:
        trigger = f.get_trigger()
        if getattr(trigger, "route", None) is None and not hasattr(trigger, "methods"):
            continue
        route = trigger.route or f.get_function_name()
        if not route.lower().startswith("api/"):
            continue  # the portal (shared_code/portal, one function for every page), not part of the API
        methods = [str(getattr(m, "value", m)).lower() for m in (trigger.methods or [])]
        assert len(methods) == 1, f"{f.get_function_name()} serves {methods}: one method per operation"
        out[f.get_function_name()] = (methods[0], "/" + route.lstrip("/"))
    return out
