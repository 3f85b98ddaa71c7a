"""Delivery receipts (Twilio status callbacks) move a recipient forward, never back: a late
"sent" never overwrites "delivered"."""

from __future__ import annotations

from ..common.clock import utcnow
from ..common.storage.rows import retry_on_conflict
from .models import CANCELLED_R, DELIVERED, FAILED, QUEUED_R, RANK, SENT_R, UNDELIVERED, Recipient
from .storage import campaigns_repo

TWILIO_STATUS = {"accepted": QUEUED_R, "queued": QUEUED_R, "scheduled": QUEUED_R, "sending": QUEUED_R,
                 "sent": SENT_R, "delivered": DELIVERED, "read": DELIVERED, "undelivered": UNDELIVERED,
                 "failed": FAILED, "canceled": CANCELLED_R}


def record_status(account_id: str, campaign_id: str, phone: str, sid: str, provider_status: str,
                  error_code: str = "") -> str:
    """Apply one receipt; returns "updated", "ignored" or "unknown" (for the log)."""
    status = TWILIO_STATUS.get(provider_status.lower())
    store = campaigns_repo()
    campaign = store.get(account_id, campaign_id)  # scopes the receipt to its account
    if status is None or campaign is None:
        return "unknown"

    def attempt() -> Recipient | str:
        r = store.get_recipient(campaign_id, phone)
        if r is None:
            return "unknown"
        if r.ProviderSid and sid and r.ProviderSid != sid:
            return "ignored"  # a receipt for another message to this number
        if RANK.get(status, 0) <= RANK.get(r.Status, 0):
            return "ignored"
        r.Status, r.UpdatedAt = status, utcnow()
        r.ProviderSid = r.ProviderSid or sid
        if error_code:
            r.ErrorCode = error_code
        store.replace_recipients(campaign_id, [r])
        return r

    outcome = retry_on_conflict(attempt, gave_up=lambda: "ignored")
    if isinstance(outcome, str):
        return outcome
    from ..triggers.status_events import recipients_final

    recipients_final(account_id, campaign_id, [outcome])  # the delivery-status trigger, if final
    return "updated"


def record_text_status(account_id: str, key: str, provider_status: str, error_code: str = "") -> str:
    """A receipt for a text sent outside campaigns (a keyword reply): its thread's row moves
    forward. Returns "updated", "ignored" or "unknown" (for the log)."""
    from ..conversations.storage import conversations_repo

    status = TWILIO_STATUS.get(provider_status.lower())
    if status is None:
        return "unknown"
    return "updated" if conversations_repo().advance_status(account_id, key, status, error_code, RANK) else "ignored"
