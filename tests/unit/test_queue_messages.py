"""Queue messages: one typed model per queue, the wire format of a running deployment kept, and
one consumer that drops a message that can never succeed with a log naming what was wrong."""

from __future__ import annotations

import json
import logging

import pytest

from shared_code.inbound.models import InboundQueueMessage
from shared_code.messaging.models import DispatchMessage, SendMessage
from shared_code.triggers.models import NotifyMessage

# messages exactly as the previous release put them on the queues
OLD_WIRE = {
    "dispatch": {"a": "ACCT", "c": "CAMP", "v": 3},
    "send": {"a": "ACCT", "c": "CAMP", "p": ["+14155550100", "+14155550101"]},
    "inbound": {"a": "ACCT", "p": {"From": "+14155550100", "Body": "hi", "MessageSid": "SM1"},
                "r": "2030-01-01T00:00:00.000Z"},
    "notify": {"a": "ACCT", "s": "SUB", "k": "m_1", "t": "tok", "n": 2, "f": "2030-01-01T00:00:00.000Z",
               "e": "message.received", "p": {"Body": "hi"}},
}
MODELS = {"dispatch": DispatchMessage, "send": SendMessage, "inbound": InboundQueueMessage, "notify": NotifyMessage}


@pytest.mark.parametrize("queue", sorted(OLD_WIRE))
def test_a_message_of_the_previous_release_parses_and_is_written_back_alike(queue: str) -> None:
    model = MODELS[queue]
    msg = model.model_validate_json(json.dumps(OLD_WIRE[queue]))
    assert model.QUEUE == queue
    assert msg.wire() == OLD_WIRE[queue]


def test_fields_have_their_names_in_code() -> None:
    msg = DispatchMessage.model_validate(OLD_WIRE["dispatch"])
    assert (msg.account_id, msg.campaign_id, msg.version) == ("ACCT", "CAMP", 3)
    n = NotifyMessage.model_validate({"a": "A", "s": "S", "k": "K", "t": "T"})
    assert (n.attempt, n.payload, n.first_attempt_at, n.event_type) == (1, {}, "", "")


def _entry(queue: str):  # noqa: ANN202
    from shared_code.inbound.receive import on_inbound
    from shared_code.messaging.pipeline import on_dispatch, on_send
    from shared_code.triggers.notify import on_notify

    return {"dispatch": on_dispatch, "send": on_send, "inbound": on_inbound, "notify": on_notify}[queue]


BAD = [
    ("dispatch", b"not json", "(message)"),
    ("dispatch", json.dumps({"a": "ACCT", "c": "CAMP", "v": "three"}).encode(), "v"),
    ("dispatch", json.dumps({"a": "ACCT", "v": 1}).encode(), "c"),
    ("send", json.dumps({"a": "ACCT", "c": "CAMP", "p": "+14155550100"}).encode(), "p"),
    ("send", json.dumps(["ACCT", "CAMP"]).encode(), "(message)"),
    ("inbound", json.dumps({"a": "", "p": {"Body": "x"}}).encode(), "a"),
    ("inbound", json.dumps({"a": "ACCT", "p": ["Body", "x"]}).encode(), "p"),
    ("notify", json.dumps({"a": "A", "s": "S", "k": "K"}).encode(), "t"),
    ("notify", json.dumps({"a": "A", "s": "S", "k": "K", "t": "T", "n": "second"}).encode(), "n"),
]


@pytest.mark.parametrize(("queue", "raw", "field"), BAD)
def test_a_malformed_message_is_dropped_with_a_log_naming_the_field(queue: str, raw: bytes, field: str,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """Raising would send it round the retries into poison, and it can never succeed; silently
    ignoring it would hide a producer's bug. Nothing is read or written: storage is not needed."""
    with caplog.at_level(logging.ERROR):
        _entry(queue)(raw)  # no exception
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and f"malformed {queue} message" in errors[0] and field in errors[0].split(": ", 1)[1]
    assert "+1415" not in errors[0] and "ACCT" not in errors[0]  # which field, never its value


@pytest.mark.parametrize(("doc", "fields"), [
    ({"t": [{"a": "ACCT", "p": "not a dict"}, {"p": {}}]}, "t.0.p, t.1.a"),
    ({"t": []}, "t"),
    ({"a": "ACCT", "p": {}, "r": ["x"]}, "r"),
    (["ACCT"], "(message)"),
])
def test_the_inbound_queue_reads_a_group_or_a_lone_text_and_names_the_fields_of_the_kind_it_read(
        doc: object, fields: str, caplog: pytest.LogCaptureFixture) -> None:
    """One parse decides the kind (a group carries ``t``), so a bad group is not also reported
    as a bad lone text, and the paths are those inside the message, as for every other queue."""
    from shared_code.inbound.models import InboundGroupMessage, InboundQueueBody

    assert isinstance(InboundQueueBody.model_validate_json(json.dumps({"t": [OLD_WIRE["inbound"]]})).root,
                      InboundGroupMessage)
    assert InboundQueueBody.model_validate_json(json.dumps(OLD_WIRE["inbound"])).root.wire() == OLD_WIRE["inbound"]
    with caplog.at_level(logging.ERROR):
        _entry("inbound")(json.dumps(doc).encode())
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].endswith(f"malformed inbound message ({len(json.dumps(doc))} bytes): {fields}")


def test_a_send_message_carries_one_batch_at_most() -> None:
    phones = [f"+1415555{i:04d}" for i in range(150)]
    assert len(SendMessage.model_validate({"a": "A", "c": "C", "p": phones}).phones) == 100
