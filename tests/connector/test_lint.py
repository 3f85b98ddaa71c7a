"""The certification rules we can state as code, each with its source, checked offline on the
generated definition (``paconn validate`` and the Swagger Validator need an online login).

Sources (Microsoft's Power Platform connector docs on learn.microsoft.com, the
powerplatform-developerhub repository's pages):
- VALIDATOR: "Fix Swagger Validator errors", the Swagger Validator's error catalogue
  (OperationHasManyResponsesWithSchema and the others),
  https://learn.microsoft.com/connectors/custom-connectors/certification-swagger-validator-rules
- EXTENSIONS: "Extend an OpenAPI definition for a custom connector" (x-ms-visibility,
  x-ms-trigger-hint, x-ms-capabilities, x-ms-dynamic-values),
  https://learn.microsoft.com/connectors/custom-connectors/openapi-extensions
- TEST_CONNECTION: "Implement test connection" (a GET callable with no or fixed parameters),
  https://learn.microsoft.com/connectors/custom-connectors/test-connection
- STRINGS: "Learn best practices for string fields" (title at most 30 characters, no word API
  in the title or description, summaries in sentence case, at most 80 characters, ending
  alphanumeric, without a slash; descriptions are sentences),
  https://learn.microsoft.com/connectors/custom-connectors/connector-string-guidance
- CODING: "Follow coding standards" (operations have a summary and a description ending with a
  period), https://learn.microsoft.com/connectors/custom-connectors/coding-standards
- CHECKLIST: "Get your connector certified" (title distinct from existing connectors, contact
  and privacy policy filled in),
  https://learn.microsoft.com/connectors/custom-connectors/submit-certification

An operation shown as an ordinary one (no x-ms-visibility: Microsoft's schema has no "none") is
declared ``visibility="none"`` on purpose; a declaration without a visibility is refused.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import CONNECTOR, ROOT, definition, operations, resolve

Doc = dict[str, Any]
CERTIFIED_TITLE = "Power Textor"
MAX_SUMMARY = 80
MAX_TITLE = 30
# Words a summary may capitalise after its first word: proper nouns and acronyms.
PROPER = ("Power Automate", "Google Place ID", "Google", "Twilio", "API", "SMS", "MMS", "ID", "IDs", "URL",
          "UTC", "ISO", "STOP", "START", "HELP")
# Words that describe how the backend is built, not what a maker does: never in maker strings.
IMPLEMENTATION_WORDS = ("our id", "backend", "as the original", "table storage", "queue", "webhook id",
                        "azurite", "partition key", "row key", "pydantic", "devhost", "function app",
                        "entity", "payload")
PLACEHOLDERS = ("OWNER/REPO", "example.com", "example.org", "example.net")


# ---------------------------------------------------------------- walking the definition

def _ops(doc: Doc) -> list[tuple[str, str, Doc]]:
    return operations(doc)


def _fields(doc: Doc, schema: Any, seen: frozenset[int] = frozenset()) -> Iterator[tuple[str, Doc]]:
    """(name, schema) of every property under ``schema``, refs followed once."""
    schema = resolve(doc, schema) if isinstance(schema, dict) else schema
    if not isinstance(schema, dict) or id(schema) in seen:
        return
    seen = seen | {id(schema)}
    for name, prop in (schema.get("properties") or {}).items():
        yield name, resolve(doc, prop)
        yield from _fields(doc, prop, seen)
    if "items" in schema:
        yield from _fields(doc, schema["items"], seen)


def maker_strings(doc: Doc) -> Iterator[tuple[str, str]]:
    """(where, text) of every string a maker reads in the designer: operation summaries and
    descriptions, parameter and field titles and descriptions (requests, responses, trigger
    outputs)."""
    for path, item in doc["paths"].items():
        if "x-ms-notification-content" in item:
            for name, f in _fields(doc, item["x-ms-notification-content"].get("schema", {})):
                for key in ("x-ms-summary", "description"):
                    if isinstance(f.get(key), str):
                        yield f"{path} output {name} {key}", f[key]
        for method, op in item.items():
            if method.startswith("x-"):
                continue
            where = op.get("operationId", f"{method} {path}")
            for key in ("summary", "description"):
                if isinstance(op.get(key), str):
                    yield f"{where} {key}", op[key]
            for param in op.get("parameters", []):
                for key in ("x-ms-summary", "description"):
                    if isinstance(param.get(key), str):
                        yield f"{where} parameter {param.get('name')} {key}", param[key]
                for name, f in _fields(doc, param.get("schema", {})):
                    for key in ("x-ms-summary", "description"):
                        if isinstance(f.get(key), str):
                            yield f"{where} field {name} {key}", f[key]
            for code, response in op.get("responses", {}).items():
                if code.startswith("2"):
                    for name, f in _fields(doc, response.get("schema", {})):
                        for key in ("x-ms-summary", "description"):
                            if isinstance(f.get(key), str):
                                yield f"{where} {code} output {name} {key}", f[key]


def _dynamic(node: Any, where: str = "") -> Iterator[tuple[str, str, Doc]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("x-ms-dynamic-") and isinstance(value, dict):
                yield where, key, value
            yield from _dynamic(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _dynamic(value, f"{where}[{i}]")


# ---------------------------------------------------------------- the rules

def many_responses_with_schema(doc: Doc) -> list[str]:
    """VALIDATOR OperationHasManyResponsesWithSchema: one response with a schema per operation."""
    out = []
    for _, _, op in _ops(doc):
        with_schema = sorted(code for code, r in op.get("responses", {}).items() if "schema" in r)
        if len(with_schema) > 1:
            out.append(f"{op['operationId']}: {len(with_schema)} responses with a schema ({', '.join(with_schema)})")
    return out


def schema_on_error_responses(doc: Doc) -> list[str]:
    """VALIDATOR OperationHasManyResponsesWithSchema (our fix for it): errors carry a description
    only; the readme's error table documents their envelope."""
    return [f"{op['operationId']} {code}" for _, _, op in _ops(doc)
            for code, r in op.get("responses", {}).items() if not code.startswith("2") and "schema" in r]


def visibility_on_every_operation(doc: Doc) -> list[str]:
    """EXTENSIONS x-ms-visibility; CHECKLIST: every operation states how prominent it is."""
    from shared_code.api import operations

    ordinary = {op.id for op in operations().values() if op.visibility == "none"}  # said once, on purpose
    return [op["operationId"] for _, _, op in _ops(doc)
            if op.get("x-ms-visibility") not in ("important", "advanced", "internal")
            and op["operationId"] not in ordinary]


def _not_sentence_case(summary: str) -> bool:
    rest = summary.split(" ", 1)[1] if " " in summary else ""
    for phrase in PROPER:
        rest = re.sub(rf"\b{re.escape(phrase)}\b", "", rest)
    first = summary[:1]
    return not first.isupper() or any(w[:1].isupper() for w in re.findall(r"[A-Za-z][\w']*", rest))


def sentence_case_summaries(doc: Doc) -> list[str]:
    """STRINGS: operation summaries in sentence case (first word capitalised,
    the rest lower case but for proper nouns and acronyms, PROPER)."""
    return [f"{op['operationId']}: {op.get('summary')!r}" for _, _, op in _ops(doc)
            if _not_sentence_case(str(op.get("summary", "")))]


def summary_length_and_period(doc: Doc) -> list[str]:
    """STRINGS: a summary (operation summary, x-ms-summary) is at most 80
    characters and does not end with a period."""
    out = []
    for where, text in maker_strings(doc):
        if where.endswith(("summary", "x-ms-summary")) and (len(text) > MAX_SUMMARY or text.endswith(".")):
            out.append(f"{where}: {text!r}")
    return out


def descriptions_end_with_a_period(doc: Doc) -> list[str]:
    """STRINGS, CODING: descriptions are full sentences ending with a period."""
    return [f"{where}: {text!r}" for where, text in maker_strings(doc)
            if where.endswith("description") and not text.rstrip().endswith(".")]


def implementation_words(doc: Doc) -> list[str]:
    """STRINGS: maker strings say what an action does for the maker, not how
    the service is built (IMPLEMENTATION_WORDS)."""
    out = []
    for where, text in maker_strings(doc):
        for word in IMPLEMENTATION_WORDS:
            if re.search(rf"\b{re.escape(word)}\b", text, re.I):
                out.append(f"{where}: {word!r} in {text!r}")
    return out


def connection_test(doc: Doc) -> list[str]:
    """TEST_CONNECTION, EXTENSIONS x-ms-capabilities: testConnection names a GET that needs no
    parameters."""
    cap = doc.get("x-ms-capabilities", {}).get("testConnection")
    if not isinstance(cap, dict):
        return ["no x-ms-capabilities.testConnection"]
    found = [(m, op) for m, _, op in _ops(doc) if op.get("operationId") == cap.get("operationId")]
    if not found:
        return [f"testConnection names {cap.get('operationId')!r}, which does not exist"]
    method, op = found[0]
    out = [] if method == "get" else [f"testConnection {cap['operationId']} is a {method.upper()}, not a GET"]
    required = [p["name"] for p in op.get("parameters", []) if p.get("required")]
    if required and set(required) - set(cap.get("parameters", {})):
        out.append(f"testConnection {cap['operationId']} needs {required}")
    return out


def trigger_hint(doc: Doc) -> list[str]:
    """EXTENSIONS x-ms-trigger-hint: every trigger tells the maker how to fire it."""
    return [op["operationId"] for _, _, op in _ops(doc) if "x-ms-trigger" in op and not op.get("x-ms-trigger-hint")]


def dynamic_parameters(doc: Doc) -> list[str]:
    """EXTENSIONS x-ms-dynamic-values (and -list, -schema, -properties): an operationId and a
    parameters object, {} when the called operation needs none."""
    return [f"{where} {key}" for where, key, value in _dynamic(doc["paths"]) if "operationId" in value
            and not isinstance(value.get("parameters"), dict)] + \
        [f"definitions{where} {key}" for where, key, value in _dynamic(doc["definitions"])
         if "operationId" in value and not isinstance(value.get("parameters"), dict)]


def distinct_title(doc: Doc) -> list[str]:
    """CHECKLIST: a connector's title is unique; "Power Textor" is the certified connector's."""
    title = doc.get("info", {}).get("title", "")
    return [f"info.title {title!r} is the certified connector's"] if title.strip().lower() == \
        CERTIFIED_TITLE.lower() else []


def title_and_description_words(doc: Doc) -> list[str]:
    """STRINGS: the title has at most 30 characters, and neither it nor the description has the
    word API."""
    info = doc.get("info", {})
    found = [f"info.title has {len(info.get('title', ''))} characters (at most {MAX_TITLE})"] \
        if len(info.get("title", "")) > MAX_TITLE else []
    return found + [f"info.{key} has the word API" for key in ("title", "description")
                    if re.search(r"\bAPI\b", info.get(key, ""))]


def contact_email(doc: Doc) -> list[str]:
    """CHECKLIST: info.contact has a name, a URL and an email."""
    contact = doc.get("info", {}).get("contact", {})
    return [f"info.contact.{key} missing" for key in ("name", "url", "email") if not contact.get(key)]


def placeholder_urls(doc: Doc) -> list[str]:
    """CHECKLIST (a release build only): contact, website and privacy policy are real, not the
    defaults' placeholders."""
    values = [("info.contact.url", doc.get("info", {}).get("contact", {}).get("url", "")),
              ("info.contact.email", doc.get("info", {}).get("contact", {}).get("email", ""))]
    values += [(m.get("propertyName"), m.get("propertyValue", "")) for m in doc.get("x-ms-connector-metadata", [])]
    return [f"{name}: {value}" for name, value in values for mark in PLACEHOLDERS if mark.lower() in value.lower()]


Rule = Callable[[Doc], list[str]]
RULES: dict[str, Rule] = {f.__name__: f for f in (
    many_responses_with_schema, schema_on_error_responses, visibility_on_every_operation, sentence_case_summaries,
    summary_length_and_period, descriptions_end_with_a_period, implementation_words, connection_test,
    trigger_hint, dynamic_parameters, distinct_title, title_and_description_words, contact_email)}
@pytest.mark.parametrize("name", list(RULES))
def test_rule(name: str) -> None:
    assert RULES[name](definition()) == []


def _send(doc: Doc) -> Doc:
    return doc["paths"]["/api/messages/sendsimple"]["post"]


def _a_dropdown(doc: Doc) -> Doc:
    return next(value for _, key, value in _dynamic(doc["paths"]) if key == "x-ms-dynamic-values")


MUTATIONS: dict[str, Callable[[Doc], None]] = {
    "many_responses_with_schema": lambda d: _send(d)["responses"]["400"].update(schema={"type": "object"}),
    "schema_on_error_responses": lambda d: _send(d)["responses"]["400"].update(schema={"type": "object"}),
    "visibility_on_every_operation": lambda d: _send(d).update({"x-ms-visibility": "none"}),
    "sentence_case_summaries": lambda d: _send(d).update(summary="Send A Text To Google"),
    "summary_length_and_period": lambda d: _send(d).update(summary="Send a text."),
    "descriptions_end_with_a_period": lambda d: _send(d).update(description="Sends a text"),
    "implementation_words": lambda d: _send(d).update(description="Puts the text on a queue."),
    "connection_test": lambda d: d.pop("x-ms-capabilities"),
    "trigger_hint": lambda d: next(op for _, _, op in _ops(d) if "x-ms-trigger" in op).update({"x-ms-trigger-hint": ""}),
    "dynamic_parameters": lambda d: _a_dropdown(d).pop("parameters"),
    "distinct_title": lambda d: d["info"].update(title="Power Textor"),
    "title_and_description_words": lambda d: d["info"].update(description="Sends texts through our SMS API."),
    "contact_email": lambda d: d["info"]["contact"].pop("email"),
}


def _reword(node: Any) -> Any:
    """Maker strings without IMPLEMENTATION_WORDS (a stand-in for the rewording being done)."""
    if isinstance(node, list):
        return [_reword(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _reword(v) for k, v in node.items()}
    for key in ("summary", "description", "x-ms-summary"):
        if isinstance(out.get(key), str):
            for word in IMPLEMENTATION_WORDS:
                out[key] = re.sub(rf"\b{re.escape(word)}\b", "the", out[key], flags=re.I)
    return out


def _fix_pending(name: str, doc: Doc) -> Doc:
    """The definition as it will be once the declarations are fixed, for the rule ``name``."""
    for _, _, op in _ops(doc):
        if name == "visibility_on_every_operation":
            op.setdefault("x-ms-visibility", "advanced")
        if name == "sentence_case_summaries":
            op["summary"] = op["summary"][:1] + op["summary"][1:].lower().replace("sms", "SMS").replace("mms", "MMS")
        if name == "trigger_hint" and "x-ms-trigger" in op:
            op["x-ms-trigger-hint"] = "To see it work, text your number."
    return _reword(doc) if name == "implementation_words" else doc


@pytest.mark.parametrize("name", sorted(RULES))
def test_the_rule_catches(name: str) -> None:
    doc = _fix_pending(name, copy.deepcopy(definition()))
    assert RULES[name](doc) == []
    MUTATIONS[name](doc)
    assert RULES[name](doc) != []


def test_sentence_case_allows_proper_nouns_and_acronyms() -> None:
    assert not _not_sentence_case("Send an SMS or MMS with a Google review link to a Power Automate ID")
    assert _not_sentence_case("Get Contacts") and _not_sentence_case("send a text")


# ---------------------------------------------------------------- the submission build

def _build(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "connector/build_definition.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_a_release_build_refuses_the_placeholder_defaults(tmp_path: Path) -> None:
    out = _build("--release", "--output", str(tmp_path / "out.json"))
    assert out.returncode == 2 and not (tmp_path / "out.json").exists()
    for field in ("contact.url is a placeholder (https://github.com/OWNER/REPO)", "contact.email is a placeholder",
                  "website is a placeholder", "privacyPolicy is a placeholder"):
        assert field in out.stderr, out.stderr
    assert placeholder_urls(definition())  # the local build keeps them: honest defaults, not a submission


def test_a_release_build_refuses_an_empty_email_and_the_certified_title(tmp_path: Path) -> None:
    settings = json.loads((CONNECTOR / "publish.json").read_text(encoding="utf-8"))
    settings["contact"]["email"] = ""
    settings["title"] = "Power Textor"
    (tmp_path / "publish.json").write_text(json.dumps(settings), encoding="utf-8")
    out = _build("--release", "--settings", str(tmp_path / "publish.json"), "--output", str(tmp_path / "out.json"))
    assert out.returncode == 2
    assert "contact.email is empty" in out.stderr and "the certified connector's title" in out.stderr


def test_a_release_build_with_real_metadata_passes_every_release_rule(tmp_path: Path) -> None:
    settings = json.loads((CONNECTOR / "publish.json").read_text(encoding="utf-8"))
    fork = "https://github.com/acme-dental/textor-sms"
    settings.update(publisher="Acme Dental Ltd", website=fork, privacyPolicy=f"{fork}/blob/main/PRIVACY.md",
                    contact={"name": "Acme Dental IT", "url": fork, "email": "it@acme-dental.co.uk"})
    (tmp_path / "publish.json").write_text(json.dumps(settings), encoding="utf-8")
    out = _build("--release", "--settings", str(tmp_path / "publish.json"), "--output", str(tmp_path / "out.json"))
    assert out.returncode == 0, out.stderr
    built = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert placeholder_urls(built) == [] and contact_email(built) == [] and distinct_title(built) == []
    assert built["info"]["contact"]["email"] == "it@acme-dental.co.uk"
    assert {m["propertyName"]: m["propertyValue"] for m in built["x-ms-connector-metadata"]}["Website"] == fork
    assert built["paths"] == definition()["paths"]  # only the metadata differs
