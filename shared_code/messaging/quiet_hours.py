"""Quiet hours: a marketing text reaches its recipient only inside the account's sending window
of the recipient's local time (US TCPA: 8:00 to 21:00), else it waits until the window opens.

Where it applies: ``send`` (messaging/sending.py) checks every recipient it is about to claim —
first attempts and retries alike, so a backoff or a backlog that crosses the window's end holds
too. A held recipient stays ``pending`` with ``NextAttemptAt`` = ``HeldUntil`` (the instant the
window opens, exact across DST changes) and ``HeldReason``, written ETag-guarded before its send
message is queued again with that visibility delay (at most a day, far below the queue's 7).
So a held text goes out once (the usual claim), survives a retried or duplicated message (it is
still pending and not yet due, so it is queued again, never texted early) and a cancel stops it
(the message that fires finds the campaign cancelled).

What is marketing: every send to more than one recipient by design (groups, lists of contacts
or numbers — even of one —, new groups), a general action with a group or several recipients,
every review request. Transactional by default: a text, MMS or reminder to one contact or number
named in the action (a reply, a confirmation, the reminder of an appointment), also through the
general "Send a text". The actions' ``Transactional`` field overrides either way.

The recipient's zone comes from the number (phonenumbers' area-code data, loaded on first use,
never at cold start); a number that maps to several zones (toll-free, some area codes) or none
uses the account's time zone."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..accounts.models import Account
from ..common.storage.rows import StorageConflict
from .catalog import BY_ID
from .models import Campaign, Recipient

log = logging.getLogger("powertextor.quiet_hours")
TRANSACTIONAL_TARGETS = frozenset({"contact", "number", "new_contact"})  # one recipient, named in the action
TRANSACTIONAL_KINDS = frozenset({"text", "reminder", "mms"})             # review requests are solicitations
UNKNOWN_ZONE = "Etc/Unknown"
ZONE_CACHE = 4_096  # numbers whose zone is remembered: a held number is checked again when it is retried


@dataclass(frozen=True)
class Window:
    """A daily window of local wall-clock time; ``end`` before ``start`` spans midnight."""

    start: time
    end: time

    @classmethod
    def parse(cls, start: str, end: str) -> "Window":
        return cls(time.fromisoformat(start), time.fromisoformat(end))

    def contains(self, t: time) -> bool:
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def opens_after(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """None when ``now`` (aware) is inside the window in ``zone``; else the UTC instant the
        window next opens there (the start's wall-clock time on the right local day, so DST
        changes move the UTC instant, never the local one)."""
        local = now.astimezone(zone)
        wall = local.time().replace(tzinfo=None)
        if self.contains(wall):
            return None
        day = local.date() if wall < self.start else local.date() + timedelta(days=1)
        opening = datetime.combine(day, self.start, tzinfo=zone)
        return opening.astimezone(timezone.utc)


def window_of(account: Account) -> Window | None:
    """The account's window, or None when quiet hours are off."""
    if not account.QuietHoursEnabled:
        return None
    return Window.parse(account.QuietHoursStart, account.QuietHoursEnd)


def transactional(c: Campaign) -> bool:
    """The action's override, else its default: a text or reminder to one named recipient —
    an action for one contact or number, or a general action ("Send a text") given exactly one
    contact or number and no group (a reply to a customer)."""
    if c.Transactional is not None:
        return c.Transactional
    op = BY_ID.get(c.Operation)
    if op is None or op.kind not in TRANSACTIONAL_KINDS:
        return False
    if op.target == "mixed":
        return not c.GroupIds and not c.AudienceRows and len(c.Numbers) + len(c.ContactIds) == 1
    return op.target in TRANSACTIONAL_TARGETS


@lru_cache(maxsize=ZONE_CACHE)
def _number_zone(phone: str) -> str | None:
    import phonenumbers
    from phonenumbers.timezone import time_zones_for_number

    try:
        zones = time_zones_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return None
    return zones[0] if len(zones) == 1 and zones[0] != UNKNOWN_ZONE else None


def zone_for(phone: str, account_zone: str) -> ZoneInfo:
    """The recipient's time zone: the number's, or the account's when the number has several."""
    return ZoneInfo(_number_zone(phone) or account_zone or "UTC")


def held_until(account: Account, phone: str, now: datetime) -> tuple[datetime, str] | None:
    """When a marketing text to ``phone`` may go out, and why it waits; None: now."""
    window = window_of(account)
    if window is None:
        return None
    zone = zone_for(phone, account.TimeZone)
    opening = window.opens_after(now, zone)
    if opening is None:
        return None
    local = now.astimezone(zone)
    reason = (f"Quiet hours: it was {local:%H:%M} for the recipient ({zone.key}), outside the sending window "
              f"{account.QuietHoursStart}-{account.QuietHoursEnd}; it goes out when the window opens.")
    return opening, reason


def hold(c: Campaign, account: Account, rows: Sequence[Recipient], now: datetime, *,
         strict: bool = False) -> tuple[list[Recipient], list[Recipient]]:
    """Split the recipients ``send`` is about to text into (text now, held). Held ones are
    written first — pending, ``NextAttemptAt`` = ``HeldUntil`` — in one ETag-guarded
    transaction (row by row if one changed meanwhile; a row another worker changed is theirs
    and left out of both lists; ``strict``: the change raises StorageConflict); the caller
    queues them again for that moment."""
    if not rows or transactional(c) or not account.QuietHoursEnabled:
        return list(rows), []
    ready: list[Recipient] = []
    held: list[Recipient] = []
    for r in rows:
        until = held_until(account, r.Phone, now)
        if until is None:
            ready.append(r)
            continue
        r.HeldUntil, r.HeldReason = until
        r.NextAttemptAt, r.UpdatedAt = r.HeldUntil, now
        held.append(r)
    if held:
        held = _write(c.CampaignId, held, strict=strict)
        log.info("campaign %s: %d recipient(s) held by quiet hours", c.CampaignId, len(held))
    return ready, held


def _write(campaign_id: str, rows: list[Recipient], *, strict: bool) -> list[Recipient]:
    from .storage import campaigns_repo

    store = campaigns_repo()
    try:
        metas = store.replace_recipients(campaign_id, rows)
        return [r.with_etag(m.get("etag")) for r, m in zip(rows, metas)]  # type: ignore[misc]
    except StorageConflict:
        if strict:
            raise
    written = []
    for r in rows:
        try:
            meta = store.replace_recipients(campaign_id, [r])[0]
            written.append(r.with_etag(meta.get("etag")))
        except StorageConflict:
            continue
    return written  # type: ignore[return-value]
