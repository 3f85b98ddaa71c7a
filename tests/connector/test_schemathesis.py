"""Schemathesis against the running devhost (Azurite behind it), with the ApiKey of a test
tenant, over every operation of two definitions:

- OURS (``apiDefinition.swagger.json``): valid and invalid generated inputs; no 5xx, and every
  response's status, headers, content type and body match what the definition declares.
- The ORIGINAL connector's definition (host overridden to the devhost): valid inputs as a flow
  built on the original sends them; no 5xx, and 2xx bodies match the original's response
  schemas once the deliberate differences listed in ``compatibility.py`` (the connector
  readme's compatibility table) are applied.

Bounded: ``MAX_EXAMPLES`` per operation and mode (override with CONNECTOR_MAX_EXAMPLES)."""

from __future__ import annotations

import os
import zlib
from collections import Counter
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from . import compatibility
from .conftest import CASES, EVENT, OPERATIONS, PUBLIC_CALLBACK, SOON, STATUSES, Seeded
from .helpers import definition, original

MAX_EXAMPLES = int(os.environ.get("CONNECTOR_MAX_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
SESSION = requests.Session()
SESSION.trust_env = False  # never route 127.0.0.1 through a proxy


def _schema(raw: dict[str, Any], modes: list[GenerationMode]) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_dict(raw)
    schema.config.generation.update(modes=modes, max_examples=MAX_EXAMPLES)
    return schema


OURS = _schema(definition(), [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
ORIGINAL = _schema(compatibility.callable_original(original()), [GenerationMode.POSITIVE])

# ---------------------------------------------------------------- real ids, now and then

FIXED = {"ScheduledDate": SOON, "ScheduledTime": "09:00 AM", "EventDate": EVENT, "Time": "10:00 AM", "Day": 1,
         "ExtraDaysBefore": [7], "WebHookUri": PUBLIC_CALLBACK}
PHONES = ("To", "ContactNumber", "Phone", "Contact", "From", "FromNumber")


def _heads(case: Any) -> bool:
    """Half of the positive cases get real ids and numbers (deterministic: from their content)."""
    return zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % 2 == 0


def _value_for(name: str, schema: dict[str, Any], ids: dict[str, str]) -> Any:
    dyn = schema.get("x-ms-dynamic-values") or schema.get("items", {}).get("x-ms-dynamic-values") or {}
    target = {"GetContacts": ids["phone"], "GetGroups": ids["groupId"], "GetPlaces": ids["google"]}.get(
        dyn.get("operationId"))
    if target is None:
        if name in FIXED:
            return FIXED[name]
        target = ids["phone"] if name in PHONES else None
    if target is None:
        return None
    return [target] if schema.get("type") == "array" else target


def use_real_ids(case: Any, ids: dict[str, str]) -> None:
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE or not _heads(case):
        return
    for name in list(case.path_parameters or {}):
        if name in ids:
            case.path_parameters[name] = ids[name]
    if isinstance(case.body, dict):
        body_schema = _body_schema(case)
        for name in list(case.body):
            value = _value_for(name, body_schema.get(name, {}), ids)
            if value is not None:
                case.body[name] = value
        case.body.pop("ScheduledAt", None)
    for name in list(case.query or {}):
        if name in ("Phone", "From", "FromNumber"):
            case.query[name] = seeded_phone(ids)
        elif name in ("Keyword", "Kind", "cursor", "skiptoken", "search"):
            case.query.pop(name)


def seeded_phone(ids: dict[str, str]) -> str:
    return ids["phone"]


def _body_schema(case: Any) -> dict[str, Any]:
    raw = case.operation.definition.raw
    props: dict[str, Any] = {}
    for param in raw.get("parameters", []):
        if param.get("in") == "body":
            schema = param["schema"]
            if "$ref" in schema:
                schema = case.operation.schema.raw_schema["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
            props.update(schema.get("properties", {}))
        elif param.get("in") == "formData":
            props[param["name"]] = param
    return props


def run(name: str, case: Any, seeded: Seeded, checks: list) -> Any:
    use_real_ids(case, seeded.ids)
    response = case.call(base_url=seeded.base_url, session=SESSION, headers={"ApiKey": seeded.key}, timeout=60)
    CASES[name] += 1
    STATUSES.setdefault(name, Counter())[f"{response.status_code // 100}xx"] += 1
    OPERATIONS.setdefault(f"{name} {case.operation.label}", Counter())[str(response.status_code)] += 1
    case.validate_response(response, checks=checks)
    return response


@OURS.parametrize()
@HYPOTHESIS
def test_our_definition(case: Any, seeded: Seeded) -> None:
    run("our", case, seeded, CHECKS)


@ORIGINAL.parametrize()
@HYPOTHESIS
def test_original_definition(case: Any, seeded: Seeded) -> None:
    response = run("original", case, seeded, [not_a_server_error])
    problems = compatibility.check_response(case.operation.definition.raw, response)
    assert problems == [], f"{case.operation.label}: {problems}"


def test_the_checks_catch_a_wrong_schema(seeded: Seeded) -> None:
    """The same checks fail when the declared response does not match what the backend sends."""
    import copy

    from schemathesis.core.failures import FailureGroup

    raw = copy.deepcopy(definition())
    raw["definitions"]["Account"]["required"].append("Missing")
    operation = schemathesis.openapi.from_dict(raw).find_operation_by_label("GET /api/account")
    case = operation.Case()
    response = case.call(base_url=seeded.base_url, session=SESSION, headers={"ApiKey": seeded.key}, timeout=60)
    assert response.status_code == 200
    with pytest.raises(FailureGroup, match="schema"):
        case.validate_response(response, checks=CHECKS)
    assert compatibility.check_response({"responses": {"200": {"schema": {
        "type": "object", "properties": {"Data": {"type": "string"}}}}}}, response)
