"""The delivery-status trigger: a recipient became delivered, undelivered or failed.

Called by the send pipeline and the status callback after they recorded a final status; it
queues one notify message per matching status subscription. Best effort by design: it never
raises into the caller (a send must not fail because a flow could not be told)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from ..common.clock import iso
from .models import FINAL_STATUSES, STATUS

log = logging.getLogger("powertextor.status_events")


class SentText(Protocol):
    """What a status event tells about one recipient of a send (messaging's Recipient is one);
    declared here so that triggers never imports messaging."""

    Phone: str
    ContactId: str
    Name: str
    Status: str
    ErrorCode: str
    ErrorMessage: str
    ProviderSid: str
    UpdatedAt: datetime


def recipients_final(account_id: str, campaign_id: str, recipients: Iterable[SentText]) -> None:
    try:
        final = [r for r in recipients if r.Status in FINAL_STATUSES]
        if not final:
            return
        from .notify import enqueue
        from .subscriptions import for_account

        subs = [s for s in for_account(account_id) if s.Kind == STATUS]
        for r in final:
            matching = [s for s in subs if r.Status in (s.Statuses or FINAL_STATUSES)]
            if not matching:
                continue
            payload = {"EventType": "message.status", "CampaignId": campaign_id, "To": r.Phone,
                       "ContactId": r.ContactId, "ContactName": r.Name, "Status": r.Status,
                       "ErrorCode": r.ErrorCode, "ErrorMessage": r.ErrorMessage, "MessageSid": r.ProviderSid,
                       "UpdatedAt": iso(r.UpdatedAt)}
            key = f"st_{campaign_id}_{r.Phone.lstrip('+')}_{r.Status}"
            for s in matching:
                enqueue(account_id, s, key, "message.status", payload)
    except Exception:  # noqa: BLE001 - never break sending or a receipt over a trigger
        log.exception("could not queue delivery-status events for campaign %s", campaign_id)
