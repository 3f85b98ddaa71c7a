"""The operation declarations (shared_code/api): every model they name exists, path parameters
are the route's, a send action documents only fields the runtime reads, and every field a
maker sees has a summary and a description."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

from shared_code.api import operations
from shared_code.web.operations import Operation

OPS = list(operations().values())


def named_models(op: Operation) -> list[str]:
    names = [op.body, op.query, op.doc_body, op.notification.get("schema")]
    names += [n for r in op.replies.values() if r.body for n in (r.body.data, r.body.items)]
    return [n for n in names if n]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.id)
def test_named_models_exist_and_path_parameters_are_the_routes(op: Operation) -> None:
    for name in named_models(op):
        assert issubclass(op.model(name), BaseModel), name
    assert set(re.findall(r"{(\w+)}", op.route)) >= set(op.path), op.route
    if op.connector:
        assert set(re.findall(r"{(\w+)}", op.route)) == set(op.path), f"{op.id}: document every path parameter"


def test_send_actions_document_only_what_send_body_reads() -> None:
    from shared_code.messaging.models import SendBody

    for op in OPS:
        if op.doc_body:
            documented = set(op.model(op.doc_body).model_fields) - {"Attachment"}  # the multipart file
            assert documented <= set(SendBody.model_fields), (op.id, documented - set(SendBody.model_fields))


def _fields(model: type[BaseModel], seen: set[type]) -> list[tuple[str, object]]:
    if model in seen:
        return []
    seen.add(model)
    out = []
    for name, info in model.model_fields.items():
        out.append((f"{model.__name__}.{name}", info))
        for arg in getattr(info.annotation, "__args__", ()) or ():
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                out += _fields(arg, seen)
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            out += _fields(info.annotation, seen)
    return out


def test_every_documented_field_has_a_summary_and_a_description() -> None:
    seen: set[type] = set()
    fields = [f for op in OPS if op.connector for name in named_models(op) for f in _fields(op.model(name), seen)]
    missing = [where for where, info in fields
               if not info.description or not (info.json_schema_extra or {}).get("x-ms-summary")]  # type: ignore[union-attr]
    nested = {"MessageRecord.Account", "MessageRecord.Contact"}  # documented by their models' docstrings
    assert [m for m in missing if m not in nested] == []


def test_an_operation_must_say_how_prominent_it_is() -> None:
    """Every connector operation declares its visibility ("none" for an ordinary one), so none
    reaches the designer by omission; the generated definition leaves "none" out (not in
    Microsoft's schema)."""
    from shared_code.web.operations import Feature

    feature = Feature()
    with pytest.raises(ValueError, match="visibility must be one of"):
        feature.add("get", "x", "NoVisibility", lambda call: None)
    feature.add("get", "y", "Ordinary", lambda call: None, visibility="none")
    feature.add("post", "hook", "TwilioHook", lambda call: None, connector=False)  # not in the definition
    assert [op.id for op in feature.operations] == ["Ordinary", "TwilioHook"]
