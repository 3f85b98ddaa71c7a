"""Queue message entry points: parse, then call the service. A message that is not ours
(bad JSON, missing fields) is logged and dropped — retrying it could never succeed."""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger("powertextor.pipeline")


def _parse(raw: bytes | str, *fields: str) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (ValueError, TypeError):
        data = None
    if not isinstance(data, dict) or any(f not in data for f in fields):
        log.error("dropping malformed queue message (%d bytes)", len(raw or b""))
        return None
    return data


def on_dispatch(raw: bytes | str) -> None:
    from .dispatch import dispatch

    msg = _parse(raw, "a", "c", "v")
    if msg:
        outcome = dispatch(str(msg["a"]), str(msg["c"]), int(msg["v"]))
        log.info("dispatch %s: %s", msg["c"], outcome)


def on_send(raw: bytes | str) -> None:
    from .sending import send_batch

    msg = _parse(raw, "a", "c", "p")
    if msg and isinstance(msg["p"], list):
        counts = send_batch(str(msg["a"]), str(msg["c"]), [str(p) for p in msg["p"]][:100])
        log.info("send %s: %s", msg["c"], counts)


def on_timer() -> None:
    from .scheduler import tick

    tick()
