"""The sending pipeline's queue and timer entry points: each message goes through the one
consumer (parse, validate, drop-with-a-log) and then to its service."""

from __future__ import annotations

from ..common.queue_messages import consume
from .models import DispatchMessage, SendMessage


def on_dispatch(raw: bytes | str) -> None:
    from .dispatch import dispatch

    consume(raw, DispatchMessage,
            lambda m: f"{m.campaign_id} {dispatch(m.account_id, m.campaign_id, m.version)}")


def on_send(raw: bytes | str) -> None:
    from .sending import send_batch

    consume(raw, SendMessage,
            lambda m: f"{m.campaign_id} {send_batch(m.account_id, m.campaign_id, m.phones, m.stored_rows())}")


def on_timer() -> None:
    from .scheduler import tick

    tick()
