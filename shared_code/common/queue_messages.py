"""Queue messages, typed: one pydantic model per queue, and the one entry point every queue
trigger goes through.

A message keeps its short wire keys (``{"a": …, "c": …}``) as aliases, so messages already in
the queues of a running deployment still parse after an upgrade (and old code reads new ones).
A message that is not ours — not JSON, a missing or mistyped field — is logged and dropped:
retrying it could never succeed, and the queue's poison path is for failures that might.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, RootModel, ValidationError

log = logging.getLogger("powertextor.queues")
R = TypeVar("R")


# A queue message holds 64 KiB of text, and the Functions host's base64 makes 3 bytes of JSON 4.
MAX_MESSAGE_BYTES = 48 * 1024


class QueueMessage(BaseModel):
    """A message of the queue named ``QUEUE``; fields carry their wire key as alias."""

    QUEUE: ClassVar[str]
    model_config = ConfigDict(populate_by_name=True, extra="ignore", coerce_numbers_to_str=True)

    def wire(self) -> dict[str, Any]:
        """The JSON object put on the queue (short keys)."""
        return self.model_dump(mode="json", by_alias=True)

    def wire_json(self) -> str:
        """The message's text as the queue store sends it (compact; non-ASCII escaped)."""
        return wire_text(self.wire())


def wire_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


def fits(message: QueueMessage) -> bool:
    """Whether ``message`` fits in one queue message, encoded as the queue store sends it."""
    return len(message.wire_json()) <= MAX_MESSAGE_BYTES  # ASCII: escaped


class QueueChoice(RootModel[R]):
    """A queue that carries more than one kind of message: a tagged pydantic union (a
    ``Discriminator`` picks the kind, so a bad message is reported with the fields of the kind it
    was read as, by their paths inside that message). Parsed once; the message is ``.root``."""

    QUEUE: ClassVar[str]


M = TypeVar("M", bound=QueueMessage | QueueChoice[Any])


def consume(raw: bytes | str, model: type[M], handle: Callable[[M], Any]) -> None:
    """Parse and validate one queue message, then hand it to ``handle`` (whose result is
    logged); a malformed message is logged — which fields were wrong, never their values —
    and dropped."""
    try:
        msg = model.model_validate_json(raw)
    except ValidationError as err:
        skip = 1 if issubclass(model, QueueChoice) else 0  # a choice's first step: the kind it was read as
        where = sorted({".".join(str(p) for p in e["loc"][skip:]) or "(message)" for e in err.errors()})
        log.error("dropping malformed %s message (%d bytes): %s", model.QUEUE, len(raw or b""), ", ".join(where))
        return
    outcome = handle(msg)
    log.info("%s: %s", model.QUEUE, outcome)
