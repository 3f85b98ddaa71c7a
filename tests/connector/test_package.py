"""The connector package, offline: Microsoft's JSON Schemas, a Swagger 2.0 validator, the
certification lint, the generator, the icon and the compatibility of request fields with the
original connector."""

from __future__ import annotations

import copy
import json
import struct
import subprocess
import sys
import zlib

import jsonschema
import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV2SpecValidator

from .certification import lint
from .compatibility import dropped_properties
from .helpers import (CONNECTOR, DEFINITION, PROPERTIES, ROOT, SCHEMAS, definition, load_jsonc, operations,
                      original, resolve, strip_jsonc)


def schema_errors(instance: object, schema_file: str) -> list[str]:
    schema = load_jsonc(SCHEMAS / schema_file)
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(instance)]


def test_jsonc_loader_strips_comments_but_not_urls() -> None:
    text = '{"a": "http://x//y", // note\n "b": [1, 2,], /* c */ "c": "/*x*/",}'
    assert json.loads(strip_jsonc(text)) == {"a": "http://x//y", "b": [1, 2], "c": "/*x*/"}


# ---------------------------------------------------------------- Microsoft's JSON Schemas

def test_definition_matches_microsofts_schema() -> None:
    assert schema_errors(definition(), "apiDefinition.swagger.schema.json") == []


def test_api_properties_match_microsofts_schema() -> None:
    assert schema_errors(json.loads(PROPERTIES.read_text()), "paconn-apiProperties.schema.json") == []


def test_settings_match_microsofts_schema() -> None:
    settings = json.loads((CONNECTOR / "settings.json").read_text())
    assert schema_errors(settings, "paconn-settings.schema.json") == []
    for key in ("apiDefinition", "apiProperties", "icon"):  # paconn resolves them from the repository root
        assert (ROOT / settings[key]).is_file(), key


def test_the_schemas_catch_errors() -> None:
    """The original's webhook operations have no responses: the schema says so."""
    assert any("responses" in e for e in schema_errors(original(), "apiDefinition.swagger.schema.json"))
    broken = {"properties": {"iconBrandColor": "#000000", "connectionParameters": {"k": {"type": "nope"}}}}
    assert schema_errors(broken, "paconn-apiProperties.schema.json")


# ---------------------------------------------------------------- Swagger 2.0 validator

def test_definition_is_valid_swagger_2() -> None:
    validate(definition(), cls=OpenAPIV2SpecValidator)


def test_the_validator_catches_a_dangling_ref() -> None:
    doc = copy.deepcopy(definition())
    doc["definitions"].pop("Error")
    with pytest.raises(Exception):
        validate(doc, cls=OpenAPIV2SpecValidator)


# ---------------------------------------------------------------- certification lint

def test_certification_lint_is_clean() -> None:
    assert lint(definition()) == []


@pytest.mark.parametrize("mutate, expected", [
    (lambda d, op: op.update(summary="Send a text: now!"), "summary"),
    (lambda d, op: op.update(summary="x" * 81), "over 80"),
    (lambda d, op: op.update(description=op["summary"]), "differ"),
    (lambda d, op: op.update(description="No full stop"), "sentence"),
    (lambda d, op: op.update(operationId="sendText"), "PascalCase"),
    (lambda d, op: op.update(responses={"400": {"description": "Bad."}}), "2xx"),
    (lambda d, op: op["responses"].update(default={"description": "x", "schema": {"type": "object"}}), "default"),
    (lambda d, op: d["info"].update(title="Power Textor Connector API"), "title"),
    (lambda d, op: d["info"].update(description="Too short."), "30 to 500"),
    (lambda d, op: d.pop("x-ms-connector-metadata"), "Website"),
])
def test_the_lint_catches(mutate, expected: str) -> None:  # noqa: ANN001
    doc = copy.deepcopy(definition())
    op = doc["paths"]["/api/messages/sendsimple"]["post"]
    mutate(doc, op)
    assert any(expected in p for p in lint(doc)), lint(doc)


def test_the_lint_catches_dropdown_and_path_and_get_body_errors() -> None:
    doc = copy.deepcopy(definition())
    get = doc["paths"]["/api/contacts/{contactId}"]["get"]
    get["parameters"][0]["required"] = False
    get["parameters"][0]["x-ms-dynamic-values"]["value-path"] = "Nope"
    get["parameters"].append({"name": "body", "in": "body", "schema": {"type": "object"}})
    problems = "\n".join(lint(doc))
    assert "must be required" in problems and "value-path 'Nope'" in problems and "GET must not" in problems


def test_the_lint_flags_the_original() -> None:
    assert len(lint(original())) > 50


# ---------------------------------------------------------------- the file itself

def test_committed_definition_is_what_the_generator_builds() -> None:
    out = subprocess.run([sys.executable, "connector/build_definition.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr + "\nRun: .venv/bin/python connector/build_definition.py"


def test_size_and_shared_definitions() -> None:
    assert DEFINITION.stat().st_size < 1_000_000
    doc = definition()
    assert doc["swagger"] == "2.0"
    assert doc["securityDefinitions"] == {"API Key": {"type": "apiKey", "in": "header", "name": "ApiKey"}}
    assert doc["security"] == [{"API Key": []}]
    text = DEFINITION.read_text()
    assert text.count('"$ref": "#/definitions/') > 100
    for name in ("Error", "Contact", "Group", "Place", "Campaign"):
        assert name in doc["definitions"]
    assert "ErrorResponse" not in doc["definitions"]  # errors carry a description only (test_lint.py)


def test_every_response_envelope_has_an_error_object_and_declared_errors() -> None:
    doc = definition()
    for method, path, op in operations(doc):
        for code, response in op["responses"].items():
            if "schema" in response:
                schema = resolve(doc, response["schema"])
                if op.get("x-ms-trigger") == "batch" and code == "200":
                    assert schema["type"] == "array", path  # the batch trigger's bare array of items
                    continue
                assert resolve(doc, schema["properties"]["Error"])["type"] == "object", (path, code)
        for code in ("401", "404", "422", "429"):
            assert code in op["responses"], (op["operationId"], code)


def test_dates_have_examples_and_iso_fields_a_format() -> None:
    doc = definition()
    body = resolve(doc, doc["paths"]["/api/messages/scheduletext"]["post"]["parameters"][0]["schema"])
    assert "12/01/2026" in body["properties"]["ScheduledDate"]["description"]
    assert "9:05 PM" in body["properties"]["ScheduledTime"]["description"]
    assert body["properties"]["ScheduledAt"]["format"] == "date-time"


# ---------------------------------------------------------------- the original's 44 operations

def _request_fields(doc: dict, op: dict) -> dict[str, tuple]:
    out = {}
    for param in op.get("parameters", []):
        if param["in"] == "body":
            schema = resolve(doc, param["schema"])
            for name, prop in schema.get("properties", {}).items():
                prop = resolve(doc, prop)
                items = prop.get("items", {}).get("type") if prop.get("type") == "array" else None
                out[name] = ("body", prop.get("type"), name in schema.get("required", []), items)
        else:
            out[param["name"]] = (param["in"], param.get("type"), bool(param.get("required")), None)
    return out


def test_the_originals_operations_keep_method_path_and_request_fields() -> None:
    ours = {op["operationId"]: (m, p, op) for m, p, op in operations(definition())}
    from .helpers import registered_http_functions

    served = registered_http_functions()
    problems = []
    for method, path, op in operations(original()):
        op_id = op["operationId"]
        if op_id not in ours:
            if op_id in served:
                problems.append(f"{op_id}: served but missing from the definition")
            continue  # not served yet: the route consistency test covers the rest
        m, p, mine = ours[op_id]
        if (m, p) != (method, path):
            problems.append(f"{op_id}: {m} {p} instead of {method} {path}")
        theirs, fields = _request_fields(original(), op), _request_fields(definition(), mine)
        for name, spec in theirs.items():
            if name not in fields:
                problems.append(f"{op_id}: request field {name} missing")
            elif fields[name][:2] != spec[:2] or fields[name][3] != spec[3]:
                problems.append(f"{op_id}: {name} is {fields[name]}, the original's {spec}")
            elif fields[name][2] and not spec[2] and spec[0] != "body":
                problems.append(f"{op_id}: {name} required here, optional in the original")
        for name, spec in fields.items():
            if name not in theirs and spec[2]:
                problems.append(f"{op_id}: new field {name} must be optional")
    assert problems == []
    assert len(operations(original())) == 44


def test_the_originals_response_properties_are_all_still_declared() -> None:
    """A flow reads a response field by name; a field the original declared and ours dropped
    breaks that flow silently (an empty value), so every one is still declared."""
    assert dropped_properties(original(), definition()) == {}


def test_a_dropped_response_property_is_seen() -> None:
    doc = copy.deepcopy(definition())
    doc["definitions"]["CampaignGroup"]["properties"].pop("GroupId")
    assert "Data/Groups[]/GroupId" in dropped_properties(original(), doc)["SendMessageToMultipleNumbers 200"]


# ---------------------------------------------------------------- icon and properties

def test_icon_is_an_opaque_square_png_in_the_brand_colour() -> None:
    data = (CONNECTOR / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, colour) == (230, 230, 8, 2)  # RGB, no transparency
    idat = b"".join(data[i + 8:i + 8 + struct.unpack(">I", data[i:i + 4])[0]]
                    for i in _chunks(data) if data[i + 4:i + 8] == b"IDAT")
    raw = zlib.decompress(idat)
    assert raw[0] == 0  # first row unfiltered: its first pixel is the background
    brand = json.loads(PROPERTIES.read_text())["properties"]["iconBrandColor"]
    assert "#%02X%02X%02X" % tuple(raw[1:4]) == brand.upper()
    assert brand.upper() not in ("#FFFFFF", "#000000")


def _chunks(data: bytes):  # noqa: ANN202
    i = 8
    while i < len(data):
        yield i
        i += 12 + struct.unpack(">I", data[i:i + 4])[0]


def test_properties_api_key_and_dynamic_host() -> None:
    props = json.loads(PROPERTIES.read_text())["properties"]
    params = props["connectionParameters"]
    assert params["api_key"]["type"] == "securestring"
    assert params["host"]["type"] == "string"
    [policy] = props["policyTemplateInstances"]
    assert policy["templateId"] == "dynamichosturl"
    assert policy["parameters"]["x-ms-apimTemplateParameter.urlTemplate"] == "https://@connectionParameters('host')"
    # the definition's basePath is / and every path starts with /api, so host + path is the route
    doc = definition()
    assert doc["basePath"] == "/" and all(p.startswith("/api/") for p in doc["paths"])
