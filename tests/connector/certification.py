"""A certification lint for the connector definition, written from Microsoft's published rule
catalogue for Power Platform connectors (the deterministic rules; ``paconn validate`` needs an
online login). ``lint(doc)`` returns one message per problem: empty means clean."""

from __future__ import annotations

import re
from typing import Any

from .helpers import METHODS, operations, resolve

SUMMARY_CHARS = re.compile(r"^[A-Za-z0-9 ()]+$")
PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
SENTENCE_END = (".", "!", "?")
VISIBILITY = {"important", "advanced", "internal"}


def _where(method: str, path: str, op: dict[str, Any]) -> str:
    return f"{op.get('operationId', '?')} ({method.upper()} {path})"


def check_info(doc: dict[str, Any]) -> list[str]:
    out = []
    title = doc.get("info", {}).get("title", "")
    if not title or len(title) > 30:
        out.append(f"info.title {title!r}: 1 to 30 characters")
    if re.search(r"\b(api|connector)\b", title, re.I):
        out.append(f"info.title {title!r}: must not contain API or Connector")
    desc = doc.get("info", {}).get("description", "")
    if not 30 <= len(desc) <= 500:
        out.append(f"info.description: {len(desc)} characters, must be 30 to 500")
    if re.search(r"\b(api|connector)\b", desc, re.I):
        out.append("info.description must not say API or Connector")
    meta = {m.get("propertyName"): m.get("propertyValue") for m in doc.get("x-ms-connector-metadata", [])}
    for name in ("Website", "Privacy policy", "Categories"):
        if not meta.get(name):
            out.append(f"x-ms-connector-metadata: {name} missing")
    allowed = {"AI", "Business Management", "Business Intelligence", "Collaboration", "Commerce", "Communication",
               "Content and Files", "Finance", "Data", "Human Resources", "Internet of Things", "IT Operations",
               "Lifestyle and Entertainment", "Marketing", "Productivity", "Sales and CRM", "Security",
               "Social Media", "Website"}
    for cat in (meta.get("Categories") or "").split(";"):
        if cat and cat not in allowed:
            out.append(f"x-ms-connector-metadata: unknown category {cat!r}")
    return out


def check_summary_description(where: str, summary: Any, description: Any, what: str) -> list[str]:
    out = []
    if not isinstance(summary, str) or not summary:
        return [f"{where}: {what} summary missing"]
    if len(summary) > 80:
        out.append(f"{where}: {what} summary over 80 characters")
    if not SUMMARY_CHARS.match(summary):
        out.append(f"{where}: {what} summary {summary!r} has characters other than letters, digits, spaces and "
                   "parentheses")
    if not summary[-1].isalnum() and summary[-1] != ")":
        out.append(f"{where}: {what} summary must end with a letter or digit")
    if not isinstance(description, str) or not description:
        out.append(f"{where}: {what} description missing")
    else:
        if not description.endswith(SENTENCE_END):
            out.append(f"{where}: {what} description must be a sentence ending in punctuation")
        if description.strip(". ").lower() == summary.strip(". ").lower():
            out.append(f"{where}: {what} description must differ from the summary")
    return out


def _schemas(doc: dict[str, Any], schema: Any, seen: set[int] | None = None):  # noqa: ANN202
    """Every property schema under ``schema`` (refs followed once): (name, schema)."""
    seen = set() if seen is None else seen
    schema = resolve(doc, schema) if isinstance(schema, dict) else schema
    if not isinstance(schema, dict) or id(schema) in seen:
        return
    seen.add(id(schema))
    for name, prop in schema.get("properties", {}).items():
        yield name, resolve(doc, prop)
        yield from _schemas(doc, prop, seen)
    if "items" in schema:
        yield from _schemas(doc, schema["items"], seen)


def check_operation(doc: dict[str, Any], method: str, path: str, op: dict[str, Any]) -> list[str]:
    where = _where(method, path, op)
    out = check_summary_description(where, op.get("summary"), op.get("description"), "operation")
    op_id = op.get("operationId", "")
    if not PASCAL.match(op_id):
        out.append(f"{where}: operationId must be PascalCase")
    if op.get("x-ms-visibility", "none") not in VISIBILITY | {"none"}:
        out.append(f"{where}: x-ms-visibility {op['x-ms-visibility']!r}")
    responses = op.get("responses") or {}
    if not any(code.startswith("2") for code in responses):
        out.append(f"{where}: no 2xx response")
    if "schema" in responses.get("default", {}):
        out.append(f"{where}: the default response must not have a schema")
    for code, response in responses.items():
        if not response.get("description"):
            out.append(f"{where}: response {code} has no description")
    path_names = set(re.findall(r"{([^}]+)}", path))
    declared = set()
    for param in op.get("parameters", []):
        pname = param.get("name")
        if param.get("in") == "path":
            declared.add(pname)
            if param.get("required") is not True:
                out.append(f"{where}: path parameter {pname} must be required")
        if param.get("in") == "body" and method == "get":
            out.append(f"{where}: a GET must not have a body")
        if param.get("in") != "body":
            if not param.get("x-ms-summary"):
                out.append(f"{where}: parameter {pname} has no x-ms-summary")
            if not str(param.get("description", "")).endswith(SENTENCE_END):
                out.append(f"{where}: parameter {pname} description must be a sentence")
        if param.get("x-ms-visibility", "none") not in VISIBILITY | {"none"}:
            out.append(f"{where}: parameter {pname} x-ms-visibility {param['x-ms-visibility']!r}")
        out += check_dynamic(doc, where, pname, param)
        for fname, fschema in _schemas(doc, param.get("schema", {})):
            if fschema.get("x-ms-visibility", "none") not in VISIBILITY | {"none"}:
                out.append(f"{where}: field {fname} x-ms-visibility {fschema['x-ms-visibility']!r}")
            if param.get("in") == "body" and not fschema.get("x-ms-summary"):
                out.append(f"{where}: body field {fname} has no x-ms-summary")
            out += check_dynamic(doc, where, fname, fschema)
    if path_names != declared:
        out.append(f"{where}: path parameters {sorted(path_names)} declared as {sorted(declared)}")
    out += check_trigger(doc, method, path, op, where)
    return out


def _response_schema(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    for code in sorted(op.get("responses", {})):
        if code.startswith("2") and "schema" in op["responses"][code]:
            return resolve(doc, op["responses"][code]["schema"])
    return None


def _path_in(doc: dict[str, Any], schema: dict[str, Any] | None, dotted: str) -> dict[str, Any] | None:
    for part in dotted.split("/") if dotted else []:
        if schema is None:
            return None
        schema = resolve(doc, schema.get("properties", {}).get(part)) if schema.get("properties", {}).get(part) \
            else None
    return schema


def check_dynamic(doc: dict[str, Any], where: str, name: str, schema: dict[str, Any]) -> list[str]:
    dyn = schema.get("x-ms-dynamic-values")
    if not dyn:
        return []
    target = {op.get("operationId"): op for _, _, op in operations(doc)}.get(dyn.get("operationId"))
    if target is None:
        return [f"{where}: {name} dropdown calls {dyn.get('operationId')!r}, which does not exist"]
    out = []
    target_params = {p.get("name") for p in target.get("parameters", [])}
    for pname in dyn.get("parameters", {}):
        if pname not in target_params:
            out.append(f"{where}: {name} dropdown passes {pname!r}, not a parameter of {dyn['operationId']}")
    collection = _path_in(doc, _response_schema(doc, target), dyn.get("value-collection", ""))
    if collection is None or (dyn.get("value-collection") and collection.get("type") != "array"):
        return out + [f"{where}: {name} dropdown value-collection {dyn.get('value-collection')!r} is not an array "
                      f"of {dyn['operationId']}'s response"]
    item = resolve(doc, collection.get("items", {})) if dyn.get("value-collection") else collection
    for key in ("value-path", "value-title"):
        if key in dyn and _path_in(doc, item, dyn[key]) is None:
            out.append(f"{where}: {name} dropdown {key} {dyn[key]!r} is not in {dyn['operationId']}'s items")
    if "value-path" not in dyn:
        out.append(f"{where}: {name} dropdown has no value-path")
    return out


def check_trigger(doc: dict[str, Any], method: str, path: str, op: dict[str, Any], where: str) -> list[str]:
    out: list[str] = []
    urls = []
    for param in op.get("parameters", []):
        if param.get("in") == "body":
            schema = resolve(doc, param.get("schema", {}))
            for fname, fschema in schema.get("properties", {}).items():
                if resolve(doc, fschema).get("x-ms-notification-url"):
                    urls.append((fname, resolve(doc, fschema), fname in schema.get("required", [])))
        elif param.get("x-ms-notification-url"):
            urls.append((param.get("name"), param, bool(param.get("required"))))
    trigger = op.get("x-ms-trigger")
    if urls:
        if trigger != "single":
            out.append(f"{where}: a notification-url operation must be x-ms-trigger single")
        if len(urls) != 1:
            out.append(f"{where}: exactly one x-ms-notification-url field")
        for fname, fschema, required in urls:
            if fschema.get("type") != "string":
                out.append(f"{where}: notification url {fname} must be a string")
            if fschema.get("x-ms-visibility") != "internal":
                out.append(f"{where}: notification url {fname} must be internal")
            if not required:
                out.append(f"{where}: notification url {fname} must be required")
        if "x-ms-notification-content" not in doc["paths"][path]:
            out.append(f"{where}: webhook trigger without x-ms-notification-content on its path")
        created = op.get("responses", {}).get("201", {})
        if "Location" not in created.get("headers", {}):
            out.append(f"{where}: webhook trigger must answer 201 with a Location header")
        deletes = [p for p, item in doc["paths"].items() if "delete" in item]
        if not deletes:
            out.append(f"{where}: webhook trigger without a DELETE operation for its Location")
    elif trigger == "single":
        out.append(f"{where}: x-ms-trigger single without an x-ms-notification-url field")
    if trigger == "batch":
        meta = op.get("x-ms-trigger-metadata", {})
        if meta.get("mode") != "polling" or meta.get("kind") != "query":
            out.append(f"{where}: polling trigger needs x-ms-trigger-metadata kind query, mode polling")
        if method != "get":
            out.append(f"{where}: polling trigger must be a GET")
        for code in ("200", "202"):
            if "Location" not in op.get("responses", {}).get(code, {}).get("headers", {}):
                out.append(f"{where}: polling trigger response {code} must declare Location")
    if trigger not in (None, "single", "batch"):
        out.append(f"{where}: x-ms-trigger {trigger!r}")
    return out


def lint(doc: dict[str, Any]) -> list[str]:
    out = check_info(doc)
    ids: dict[str, int] = {}
    for method, path, op in operations(doc):
        ids[op.get("operationId", "")] = ids.get(op.get("operationId", ""), 0) + 1
        out += check_operation(doc, method, path, op)
    out += [f"operationId {i} used {n} times" for i, n in ids.items() if n > 1]
    for path, item in doc["paths"].items():
        extra = [k for k in item if k not in METHODS and not k.startswith("x-") and k != "parameters"]
        if extra:
            out.append(f"{path}: unknown keys {extra}")
    if not doc.get("securityDefinitions"):
        out.append("no securityDefinitions")
    return out
