"""Queue messages, typed: one pydantic model per queue, and the one entry point every queue
trigger goes through.

A message keeps its short wire keys (``{"a": …, "c": …}``) as aliases, so messages already in
the queues of a running deployment still parse after an upgrade (and old code reads new ones).
A message that is not ours — not JSON, a missing or mistyped field — is logged and dropped:
retrying it could never succeed, and the queue's poison path is for failures that might.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger("powertextor.queues")
M = TypeVar("M", bound="QueueMessage")


class QueueMessage(BaseModel):
    """A message of the queue named ``QUEUE``; fields carry their wire key as alias."""

    QUEUE: ClassVar[str]
    model_config = ConfigDict(populate_by_name=True, extra="ignore", coerce_numbers_to_str=True)

    def wire(self) -> dict[str, Any]:
        """The JSON object put on the queue (short keys)."""
        return self.model_dump(mode="json", by_alias=True)


def consume(raw: bytes | str, model: type[M], handle: Callable[[M], Any]) -> None:
    """Parse and validate one queue message, then hand it to ``handle`` (whose result is
    logged); a malformed message is logged — which fields were wrong, never their values —
    and dropped."""
    try:
        msg = model.model_validate_json(raw)
    except ValidationError as err:
        where = sorted({".".join(str(p) for p in e["loc"]) or "(message)" for e in err.errors()})
        log.error("dropping malformed %s message (%d bytes): %s", model.QUEUE, len(raw or b""), ", ".join(where))
        return
    outcome = handle(msg)
    log.info("%s: %s", model.QUEUE, outcome)
