"""The maker's view of the connector (issue 14): a short action list led by the two general send
actions, the original's 36 send actions deprecated (Power Platform keeps a deprecated operation
running in existing flows and hides it from new steps: learn.microsoft.com/connectors/
custom-connectors/deprecate-operation), sentence-case summaries, a hint on every trigger, and
trigger inputs and outputs a maker can read."""

from __future__ import annotations

import re
from typing import Any

from shared_code.messaging.catalog import SEND_OPERATIONS
from shared_code.triggers.models import FINAL_STATUSES
from tests.connector.helpers import definition, operations, resolve

IMPORTANT = {"SendText", "SendReviewRequest", "ProductionWebhook"}
# Shown normally, so without x-ms-visibility (Microsoft's schema has no "none" value).
ORDINARY = {"CreateAContact", "UpdateAPowerTextorContact", "GetCampaign", "CancelCampaign", "RescheduleCampaign",
            "CheckOptOut", "OptOutNumber", "MMSWebhook", "DeliveryStatusWebhook", "OptOutWebhook"}
PROPER_NOUNS = {"SMS", "MMS", "Google", "ID", "UTC", "STOP"}
IMPLEMENTATION_WORDS = re.compile(r"\b(our|backend|original (trigger|connector)|as the original)\b", re.I)
LOCATION = {f"{side}{part}" for side in ("From", "To") for part in ("City", "State", "Zip", "Country")}
LEGACY = {"SmsSid", "MessageSid", "AccountSid", "MessagingServiceSid", "MessageStatus", "OptOutType", "NumSegments",
          "ReferralNumMedia", "EventType"}


def by_id() -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for _, _, op in operations(definition())}


def body_properties(op: dict[str, Any]) -> dict[str, Any]:
    [body] = [p for p in op.get("parameters", []) if p.get("in") == "body"]
    return resolve(definition(), body["schema"])["properties"]


def test_the_general_send_actions_lead_and_the_original_36_are_deprecated() -> None:
    ops = by_id()
    assert {i for i, op in ops.items() if op.get("x-ms-visibility") == "important"} == IMPORTANT
    for send in SEND_OPERATIONS:
        op = ops[send.operation_id]
        assert op.get("deprecated") is True and op.get("x-ms-visibility") == "advanced", send.operation_id
        assert op["summary"].endswith("(deprecated)") and "Send a text" in op["description"], send.operation_id
    assert ops["SendText"]["summary"] == "Send a text" and not ops["SendText"].get("deprecated")
    assert ops["SendReviewRequest"]["summary"] == "Send a review request"


def test_every_operation_has_a_deliberate_visibility() -> None:
    without = {i for i, op in by_id().items() if "x-ms-visibility" not in op}
    assert without == ORDINARY


def test_summaries_are_sentence_case_and_maker_strings_name_no_implementation() -> None:
    doc = definition()
    for op_id, op in by_id().items():
        words = re.findall(r"[A-Za-z]+", op["summary"])
        capitals = [w for w in words[1:] if w[0].isupper() and w not in PROPER_NOUNS]
        assert not capitals, (op_id, op["summary"])
        assert not op["summary"].endswith(".")
    strings: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            strings.extend(v for k, v in node.items()
                           if k in ("summary", "description", "x-ms-summary", "x-ms-trigger-hint")
                           and isinstance(v, str))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk({"paths": doc["paths"], "definitions": doc["definitions"]})
    assert [s for s in strings if IMPLEMENTATION_WORDS.search(s)] == []


def test_every_trigger_has_a_hint() -> None:
    triggers = {i: op for i, op in by_id().items() if "x-ms-trigger" in op}
    assert len(triggers) >= 4
    assert all(op.get("x-ms-trigger-hint", "").startswith("To see it work") for op in triggers.values()), triggers


def test_received_text_outputs_show_what_a_flow_needs() -> None:
    doc = definition()
    payload = resolve(doc, doc["paths"]["/api/twilio/registration"]["x-ms-notification-content"]["schema"])
    fields = payload["properties"]
    advanced = {name for name, f in fields.items() if f.get("x-ms-visibility") == "advanced"}
    assert LOCATION | LEGACY <= advanced
    shown = set(fields) - advanced
    assert {"MessageId", "From", "To", "Body", "ContactName", "Keyword", "Media"} <= shown and len(shown) <= 12
    assert fields["From"]["x-ms-summary"] == "Sender Number"


def test_trigger_filters_are_dropdowns() -> None:
    ops = by_id()
    statuses = body_properties(ops["DeliveryStatusWebhook"])["Statuses"]
    assert statuses["type"] == "array" and statuses["items"]["enum"] == list(FINAL_STATUSES)
    for op_id in ("ProductionWebhook", "MMSWebhook"):
        dropdown = body_properties(ops[op_id])["FromNumber"]["x-ms-dynamic-values"]
        assert dropdown["operationId"] == "GetContacts" and dropdown["value-path"] == "Phone"
