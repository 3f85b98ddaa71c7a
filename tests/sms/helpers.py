"""Shared builders for the SMS tests."""

from __future__ import annotations

from typing import Any

from shared_code.common.sms.base import OutboundMessage

SENDER = "+15005550006"
MG_SID = "MG" + "1" * 32
TO = "+15551230001"


def msg(to: str = TO, body: str = "Hello from the shop", **kw: Any) -> OutboundMessage:
    values: dict[str, Any] = {"account_id": "acc1", "campaign_id": "camp1", "to": to, "body": body,
                              "from_number": SENDER}
    values.update(kw)
    return OutboundMessage(**values)
