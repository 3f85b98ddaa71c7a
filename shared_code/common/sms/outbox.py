"""The outbox provider: records each message in the OUTBOX table and sends nothing.

It is the default provider so a fresh deployment, local runs and tests never text a real
person; the table doubles as a test/admin view of what would have been sent.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..clock import utcnow
from ..storage.names import OUTBOX
from .base import OutboundMessage, ProviderError, SendResult

if TYPE_CHECKING:
    from ..storage.tables import TableStore

STATUS = "delivered"  # nothing can go wrong after "sending" into a table


def _ulid_floor(at: datetime) -> str:
    """The smallest ULID string for ``at``'s millisecond: a RowKey lower bound."""
    from ulid import ULID

    return str(ULID.from_datetime(at))[:10] + "0" * 16


def _as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def _result(row: Any) -> SendResult:
    return SendResult(sid=row["Sid"], status=STATUS)


class OutboxProvider:
    """Writes messages to OUTBOX (PartitionKey account id, RowKey time-sortable ULID)."""

    name = "outbox"

    def __init__(self, store: "TableStore") -> None:
        self.store = store

    def send(self, message: OutboundMessage) -> SendResult:
        from ulid import ULID

        now = _as_utc(utcnow())
        uid = ULID.from_datetime(now)   # RowKey order == CreatedAt order, even under a test clock
        sid = "OB" + uid.hex
        entity = {
            "PartitionKey": message.account_id,
            "RowKey": str(uid),
            "Sid": sid,
            "To": message.to,
            "Body": message.body,
            "From": message.from_number or "",
            "MessagingServiceSid": message.messaging_service_sid or "",
            "MediaUrls": json.dumps(list(message.media_urls)),
            "CampaignId": message.campaign_id,
            "StatusCallback": message.status_callback or "",
            "CreatedAt": now,
        }
        try:
            self.store.table(OUTBOX).create_entity(entity)
        except Exception as err:  # storage hiccup: the caller retries like any provider outage
            raise ProviderError(f"outbox write failed: {type(err).__name__}", transient=True,
                                uncertain=True) from err
        return SendResult(sid=sid, status=STATUS)

    def find_sent(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        """Newest row of this account with the same To and Body whose RowKey time ≥ since."""
        table = self.store.table(OUTBOX)
        rows = table.query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and To eq @to",
            parameters={"pk": message.account_id, "lo": _ulid_floor(_as_utc(since)), "to": message.to},
        )
        matches = [r for r in rows if r.get("Body") == message.body]
        if not matches:
            return None
        return _result(max(matches, key=lambda r: r["RowKey"]))


def list_outbox(store: "TableStore", account_id: str) -> list[dict[str, Any]]:
    """Every outbox row of one account, oldest first, MediaUrls decoded (tests and admin)."""
    rows = store.table(OUTBOX).query_entities("PartitionKey eq @pk", parameters={"pk": account_id})
    out: list[dict[str, Any]] = []
    for row in rows:
        item = dict(row)
        try:
            item["MediaUrls"] = json.loads(item.get("MediaUrls") or "[]")
        except ValueError:
            item["MediaUrls"] = []
        out.append(item)
    return sorted(out, key=lambda r: r["RowKey"])
