"""``send``: text one batch of a campaign's recipients.

Each recipient moves pending -> sending -> queued/delivered/failed with ETag-guarded batch
writes, so a batch processed twice texts nobody twice. A recipient found stuck in ``sending``
(its worker died mid-call) is reconciled with the provider before any new attempt, looking back
from the FIRST attempt whose outcome is unknown (``UncertainSince``), however many workers died
on it since. A claim is a lease of ``SEND_STUCK_SECONDS``: a worker that reaches a provider call
late renews it first, so no other worker can take the row over while its call is in flight.
Transient provider errors are retried with exponential backoff through a delayed send message;
permanent ones are final. Just before claiming, numbers that opted out since dispatch are
skipped (the send-time opt-out check)."""

from __future__ import annotations

import itertools
import logging
import os
import random
import threading
import time
from datetime import datetime, timedelta
from urllib.parse import urlencode

from ..accounts.models import Account
from ..accounts.storage import accounts_repo
from ..common.clock import utcnow
from ..common.config import get_settings
from ..common.context import repos
from ..common.fanout import map_concurrently
from ..common.storage.rows import StorageConflict, retry_on_conflict
from ..common.text.phones import mask
from ..common.urls import public_url
from ..conversations.threads import record_sent
from ..inbound.storage import optouts_repo
from .models import (
    CANCELLED,
    CANCELLED_R,
    DELIVERED,
    FAILED,
    PENDING,
    QUEUED_R,
    RANK,
    SENDING_R,
    SENT_R,
    SKIPPED,
    Campaign,
    Recipient,
    SendMessage,
)
from .quiet_hours import hold as hold_for_quiet_hours
from .storage import campaigns_repo

log = logging.getLogger("powertextor.send")
FIND_SLACK = timedelta(seconds=5)   # our instances' clocks vs each other, for the look-back
RENEW_MARGIN_SECONDS = 1.0          # a provider call starts this much before its lease could end
MONOTONIC_WRITE_ROUNDS = 5          # rounds an outcome races status callbacks before it leaves the row to them

# Test-only fault injection, never set in a deployment: TEST_ONLY_CRASH_AFTER_PROVIDER_CALLS=N
# makes the process exit at once (os._exit, as kill -9 would) when its Nth provider call (a send
# or a "did it go out?" lookup) has returned: the provider acted, the result is not written. The
# crash tests use it to land a kill in exactly that window. Read once, at import.
CRASH_AFTER_CALLS = int(os.environ.get("TEST_ONLY_CRASH_AFTER_PROVIDER_CALLS") or 0)
CRASH_EXIT_CODE = 137
_provider_calls = itertools.count(1)


def _provider_call_returned() -> None:
    if CRASH_AFTER_CALLS and next(_provider_calls) >= CRASH_AFTER_CALLS:
        os._exit(CRASH_EXIT_CODE)


class RateGate:
    """Token bucket shared by every sending thread of this instance: ``per_second`` calls a
    second on average, and up to one second of calls unused during a pause (between send
    batches) may be made up at once — the same burst Twilio's own bucket accepts. Virtual
    scheduling (GCRA): ``_tat`` is when the next call would be due at the steady rate."""

    BURST_SECONDS = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat = 0.0

    def wait(self, per_second: float) -> None:
        if per_second <= 0:
            return
        interval = 1.0 / per_second
        tolerance = max(0.0, self.BURST_SECONDS - interval)  # burst = per_second calls
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat, now)
            slot = max(now, tat - tolerance)
            self._tat = tat + interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


_gate = RateGate()


def backoff_seconds(attempt: int) -> float:
    """1, 2, 4 … 60 s with ±20 % jitter so retried batches don't arrive together."""
    base = min(60.0, 2.0 ** max(0, attempt - 1))
    return base * random.uniform(0.8, 1.2)


def status_callback(c: Campaign, phone: str) -> str | None:
    return public_url(f"/api/twilio/status?{urlencode({'a': c.AccountId, 'c': c.CampaignId, 'r': phone})}")


def _message(c: Campaign, account: Account, r: Recipient):  # noqa: ANN202
    from ..common.sms.base import OutboundMessage

    settings = get_settings()
    service = account.MessagingServiceSid or settings.twilio_messaging_service_sid or None
    return OutboundMessage(account_id=c.AccountId, campaign_id=c.CampaignId, to=r.Phone, body=c.Body,
                           from_number=account.Phone, messaging_service_sid=service,
                           media_urls=tuple(c.MediaUrls), status_callback=status_callback(c, r.Phone))


def send_batch(account_id: str, campaign_id: str, phones: list[str],
               stored: list[Recipient] | None = None) -> dict[str, int]:
    """Process one send message; returns counts per outcome (for the log line). ``stored``:
    the rows as dispatch created them (ETags included), so they need no read; if any of them
    changed since, the claim fails before anyone is texted and the rows are read as they are."""
    store = campaigns_repo()
    c = store.get(account_id, campaign_id)
    account = accounts_repo().get(account_id)
    if c is None or account is None:
        return {"missing": len(phones)}
    now = utcnow()
    if c.Status == CANCELLED:
        rows = store.get_recipients(campaign_id, phones)
        _finish(campaign_id, [(r, CANCELLED_R, "", "Cancelled", "") for r in rows if r.Status == PENDING])
        return {"cancelled": len(rows)}
    plan = None
    if stored:
        try:
            plan = _plan(c, account, stored, now, strict=True)
        except StorageConflict:
            log.info("campaign %s: rows changed since dispatch; reading them", campaign_id)
    if plan is None:
        plan = _plan(c, account, store.get_recipients(campaign_id, phones), now, strict=False)
    claimed, later, held, counts = plan
    if later:
        _requeue(c, later)
    if held:
        _requeue(c, held, due=min(r.SendingAt for r in held if r.SendingAt) + _stuck_after() + timedelta(seconds=1))
    if not claimed:
        return counts
    outcomes = map_concurrently(lambda item: _send_one(c, account, *item), claimed, get_settings().send_concurrency)
    results, retry = [], []
    for (r, _), outcome in zip(claimed, outcomes):
        kind, status, sid, code, message = outcome
        counts[kind] += 1
        if kind == "lost":
            continue  # another worker took the row over; its result is that worker's to write
        if kind == "retry":
            retry.append(r)
        results.append((r, status, sid, code, message))
    record_sent(c.AccountId, campaign_id, c.Body, c.MediaUrls, results)  # before _finish: it clears UncertainSince
    _finish(campaign_id, results)
    if retry:
        _requeue(c, retry)
    from ..triggers.status_events import recipients_final

    recipients_final(c.AccountId, campaign_id, [r for r, *_ in results])
    return counts


def _stuck_after() -> timedelta:
    return timedelta(seconds=get_settings().send_stuck_seconds)


def _plan(c: Campaign, account: Account, rows: list[Recipient], now: datetime, *,
          strict: bool) -> tuple[list[tuple[Recipient, datetime | None]], list[Recipient], list[Recipient],
                                 dict[str, int]]:
    """Sort a batch's rows and claim the ones to text now: (claimed, to queue again later, held
    by another worker's recent claim, counts). Nothing is texted yet. ``strict``: the rows are
    dispatch's copies, so a row whose ETag no longer matches raises StorageConflict instead of
    being left to whoever changed it (the caller reads the rows and plans again)."""
    ready = [r for r in rows if r.Status == PENDING and (r.NextAttemptAt is None or r.NextAttemptAt <= now)]
    later = [r for r in rows if r.Status == PENDING and r.NextAttemptAt and r.NextAttemptAt > now]
    ready, quiet = hold_for_quiet_hours(c, account, ready, now, strict=strict)  # outside the recipient's window
    later += quiet
    stuck_after = _stuck_after()
    stuck = [r for r in rows if r.Status == SENDING_R and r.SendingAt and now - r.SendingAt > stuck_after]
    # claimed moments ago by a worker that is still on them — or that died, leaving this retried
    # message as their only way forward: look again once they would count as stuck
    held = [r for r in rows if r.Status == SENDING_R and r.SendingAt and now - r.SendingAt <= stuck_after]
    due, opted_out = _drop_opted_out(c, ready, strict=strict)  # stuck rows may be texted already: reconcile first
    claimed = _claim(c.CampaignId, due + stuck, now, strict=strict)
    counts = {"sent": 0, "retry": 0, "failed": 0, "lost": 0, "optedout": opted_out, "held": len(held),
              "skipped": len(rows) - len(claimed) - len(later) - opted_out - len(held)}
    return claimed, later, held, counts


def _drop_opted_out(c: Campaign, rows: list[Recipient], *, strict: bool = False) -> tuple[list[Recipient], int]:
    """The send-time opt-out check: a number that replied STOP after the campaign was
    dispatched is marked skipped (ErrorCode OptedOut, counted in SkippedCount), never texted.
    ETag-guarded: a row another worker changed meanwhile is left to that worker."""
    if not rows:
        return rows, 0
    blocked = optouts_repo().all_opted_out(c.AccountId)
    if not blocked:
        return rows, 0
    store, now, skipped = campaigns_repo(), utcnow(), 0
    for r in rows:
        if r.Phone not in blocked:
            continue
        r.Status, r.ErrorCode, r.UpdatedAt, r.NextAttemptAt = SKIPPED, "OptedOut", now, None
        r.ErrorMessage = "The number opted out (STOP) before it was texted."
        try:
            store.replace_recipients(c.CampaignId, [r])
            skipped += 1
        except StorageConflict:
            if strict:
                raise
            continue
    log.info("campaign %s: %d opted-out recipient(s) skipped at send time", c.CampaignId, skipped)
    return [r for r in rows if r.Phone not in blocked], skipped


def _uncertain_since(r: Recipient) -> datetime | None:
    """When the earliest attempt that may have texted ``r`` without our knowing began: a worker
    died mid-call (the row is still ``sending``) or the last call timed out (``Uncertain``).
    None when every earlier attempt has a known outcome."""
    if r.Status == SENDING_R or r.Uncertain or r.UncertainSince is not None:
        return r.UncertainSince or r.SendingAt  # SendingAt: rows written before UncertainSince existed
    return None


def _claim(campaign_id: str, rows: list[Recipient], now: datetime, *,
           strict: bool = False) -> list[tuple[Recipient, datetime | None]]:
    """pending/stuck -> sending, ETag-guarded: one transaction when nobody raced us, else row
    by row. Returns (recipient, when its earliest uncertain attempt began) for the rows we own.

    The claim is stored before any provider call, with ``UncertainSince`` kept at the earliest
    unknown attempt (or now, for a first attempt): if this worker dies too, the next one still
    looks back far enough to see what any earlier attempt sent."""
    store = campaigns_repo()
    prepared = []
    for r in rows:
        since = _uncertain_since(r)
        r.Status, r.SendingAt, r.UpdatedAt, r.Uncertain = SENDING_R, now, now, False
        r.UncertainSince = since or now
        r.Attempts += 1
        prepared.append((r, since))
    if not prepared:
        return []
    owned: list[tuple[Recipient, datetime | None]] = []
    try:
        metas = store.replace_recipients(campaign_id, [r for r, _ in prepared])
        for (r, since), meta in zip(prepared, metas):
            owned.append((r.with_etag(meta.get("etag")), since))  # type: ignore[arg-type]
    except StorageConflict:
        if strict:
            raise
        for r, since in prepared:
            try:
                meta = store.replace_recipients(campaign_id, [r])[0]
                owned.append((r.with_etag(meta.get("etag")), since))  # type: ignore[arg-type]
            except StorageConflict:
                continue
    # the writes' responses carry the new ETags for the result writes; read back only if one is missing
    missing = [r.Phone for r, _ in owned if not r.etag]
    if missing:
        fresh = {x.Phone: x for x in store.get_recipients(campaign_id, missing)}
        owned = [(fresh.get(r.Phone, r) if not r.etag else r, since) for r, since in owned]
        owned = [(r, since) for r, since in owned if r.etag]
    return owned


def _send_one(c: Campaign, account: Account, r: Recipient, since: datetime | None) -> tuple:
    from ..common.sms.base import ProviderError
    from ..common.sms.factory import get_provider

    provider = get_provider()
    message = _message(c, account, r)
    if since is not None:  # an earlier attempt's outcome is unknown: did the text go out?
        try:
            found = provider.find_sent(message, since - FIND_SLACK)
        except ProviderError as err:
            _provider_call_returned()
            found = None
            if err.transient:
                # still unknown whether an earlier call texted them: the next attempt looks
                # again, from the same moment (UncertainSince stays)
                return _retry(r, err, uncertain=True)
        else:
            _provider_call_returned()
        if found is not None:
            return ("sent", _status_after(found.status), found.sid, "", "")
    settings = get_settings()
    _gate.wait(settings.send_rate_per_second)
    if not _renew_if_late(c.CampaignId, r):
        return ("lost", "", "", "", "")
    try:
        result = provider.send(message)
    except ProviderError as err:
        _provider_call_returned()
        if err.transient:
            return _retry(r, err)
        log.info("send to %s failed permanently: %s %s", mask(r.Phone), err.code, err.message)
        return ("failed", FAILED, "", str(err.code or err.status or ""), err.message[:500])
    _provider_call_returned()
    return ("sent", _status_after(result.status), result.sid, "", "")


def _renew_if_late(campaign_id: str, r: Recipient) -> bool:
    """Our claim lets other workers alone for SEND_STUCK_SECONDS; after that they take the row
    over as stuck. A call that could still be running then (a long batch, a slow rate gate)
    renews the claim first (ETag-guarded, SendingAt = now; UncertainSince unchanged). False: the
    row was taken over meanwhile, so we must not text it."""
    settings = get_settings()
    now = utcnow()
    budget = settings.send_stuck_seconds - settings.sms_timeout_seconds - RENEW_MARGIN_SECONDS
    if r.SendingAt is not None and (now - r.SendingAt).total_seconds() <= budget:
        return True
    store = campaigns_repo()
    r.SendingAt = r.UpdatedAt = now
    try:
        meta = store.replace_recipients(campaign_id, [r])[0]
    except StorageConflict:
        log.info("send to %s: taken over by another worker before our call; leaving it", mask(r.Phone))
        return False
    etag = meta.get("etag")
    if not etag:
        fresh = store.get_recipient(campaign_id, r.Phone)
        if fresh is None or fresh.SendingAt != now:
            return False
        etag = fresh.etag
    r.with_etag(etag)
    return True


def _status_after(provider_status: str) -> str:
    return DELIVERED if provider_status == "delivered" else SENT_R if provider_status == "sent" else QUEUED_R


def _retry(r: Recipient, err: Exception, *, uncertain: bool = False) -> tuple:
    code = str(getattr(err, "code", "") or getattr(err, "status", "") or "")
    message = str(getattr(err, "message", err))[:500]
    if r.Attempts >= get_settings().send_max_attempts:
        return ("failed", FAILED, "", code, f"Gave up after {r.Attempts} attempts: {message}")
    r.NextAttemptAt = utcnow() + timedelta(seconds=backoff_seconds(r.Attempts))
    r.Uncertain = uncertain or bool(getattr(err, "uncertain", False))
    return ("retry", PENDING, "", code, message)


def _finish(campaign_id: str, results: list[tuple[Recipient, str, str, str, str]]) -> None:
    """Write outcomes in one transaction; if a status callback got to a row first, fall back
    to row-by-row monotonic writes so a receipt is never overwritten by an older status."""
    store = campaigns_repo()
    now = utcnow()
    rows = []
    for r, status, sid, code, message in results:
        r.Status, r.ProviderSid, r.ErrorCode, r.ErrorMessage, r.UpdatedAt = status, sid or r.ProviderSid, code, \
            message, now
        if status != PENDING:
            r.NextAttemptAt = None
        if not (status == PENDING and r.Uncertain):
            r.UncertainSince = None  # the outcome is known: nothing earlier is left to look for
        rows.append(r)
    if not rows:
        return
    try:
        store.replace_recipients(campaign_id, rows)
    except StorageConflict:
        for r in rows:
            _write_monotonic(campaign_id, r)


def _write_monotonic(campaign_id: str, r: Recipient) -> None:
    """Write one recipient's send outcome over a row a status callback may have moved on: a
    receipt that already says more (delivered after sent) keeps its status."""
    store = campaigns_repo()

    def merged(mine: Recipient) -> Recipient | None:
        current = store.get_recipient(campaign_id, mine.Phone)
        if current is None:
            return None
        if RANK.get(current.Status, 0) >= RANK.get(mine.Status, 0):
            if current.ProviderSid or not mine.ProviderSid:
                return None  # the receipt already says more than we do
            current.ProviderSid = mine.ProviderSid  # keep the receipt's status, add the sid
            return current
        outcome = {k: getattr(mine, k) for k in ("Status", "ProviderSid", "ErrorCode", "ErrorMessage", "UpdatedAt",
                                                  "NextAttemptAt", "Uncertain", "UncertainSince")}
        row = current.model_copy(update=outcome)
        row.with_etag(current.etag)
        return row

    retry_on_conflict(lambda row: store.replace_recipients(campaign_id, [row]), first=r, reread=merged,
                      tries=MONOTONIC_WRITE_ROUNDS, gave_up=lambda: None)


def _requeue(c: Campaign, rows: list[Recipient], due: datetime | None = None) -> None:
    """Queue these recipients again, visible at ``due`` (default: when the earliest of them
    may be retried)."""
    due = due or min((r.NextAttemptAt for r in rows if r.NextAttemptAt), default=utcnow())
    repos().queues.put(SendMessage(account_id=c.AccountId, campaign_id=c.CampaignId, phones=[r.Phone for r in rows]),
                       max(0.0, (due - utcnow()).total_seconds()))
