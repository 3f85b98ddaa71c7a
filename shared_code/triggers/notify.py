"""Deliveries to flows: one POST per subscription and event — a received text's first attempt
straight from the inbound handler (``deliver_many``), every other through a ``notify`` message.

A delivery record (Deliveries: subscription x event) makes every step safe to run twice:

* the fan-out gives each notify message a token; the first message to create the record owns
  the delivery, a duplicate fan-out's message (another token) is dropped;
* each attempt N is claimed with an ETag-guarded write before the POST, so two copies of one
  message cannot both post; a claim left by a dead worker is taken over after a grace time;
* 2xx: delivered. 404/410: the subscription is removed. 429/5xx/timeouts/refused connections:
  the record says "retry" and attempt N+1 is queued with exponential backoff (queue visibility),
  until NOTIFY_MAX_AGE_SECONDS after the first attempt; then — and for any other answer — the
  delivery is dead-lettered and counted on the subscription.

Every POST carries ``X-PowerTextor-Event-Id`` (stable across retries, also in the body as
EventId) and ``X-PowerTextor-Signature: sha256=<hex HMAC of the body>`` with the
subscription's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..common.clock import iso, utcnow
from ..common.config import get_settings
from ..common.context import repos
from ..common.fanout import map_concurrently
from ..common.ids import new_id
from ..common.queue_messages import consume
from ..common.storage.rows import StorageConflict, retry_on_conflict
from .models import D_DEAD, D_DELIVERED, D_FINAL, D_GONE, D_RETRY, D_SENDING, Delivery, NotifyMessage, Subscription
from .storage import deliveries_repo, subscriptions_repo

log = logging.getLogger("powertextor.notify")
SIGNATURE_HEADER = "X-PowerTextor-Signature"
EVENT_HEADER = "X-PowerTextor-Event-Id"
STALE_GRACE = 20.0  # seconds beyond the POST timeout after which a claimed attempt is abandoned
NOTIFY_CONCURRENCY = 8  # POSTs of one group in flight at once


def enqueue(account_id: str, sub: Subscription, event_key: str, event_type: str, payload: dict[str, Any],
            token: str | None = None) -> None:
    repos().queues.put(NotifyMessage(account_id=account_id, subscription_id=sub.SubscriptionId, event_key=event_key,
                                     token=token or new_id(), attempt=1, first_attempt_at=iso(utcnow()),
                                     event_type=event_type, payload=payload))


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_id(sub_id: str, event_key: str) -> str:
    return f"{event_key}-{sub_id}"


def backoff_seconds(attempt: int) -> float:
    s = get_settings()
    base = min(s.notify_backoff_max_seconds, s.notify_backoff_seconds * 2.0 ** max(0, attempt - 1))
    return base * random.uniform(0.9, 1.1)


def _parse_time(text: Any, default: datetime) -> datetime:
    if not isinstance(text, str) or not text:
        return default
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return default


def handle(msg: NotifyMessage) -> str:
    """Process one notify message; returns the outcome for the log line."""
    acct = msg.account_id
    claimed = retry_on_conflict(lambda: _claim(msg), gave_up=RuntimeError(
        f"delivery {msg.subscription_id}/{msg.event_key}: could not claim attempt {msg.attempt}"))
    if isinstance(claimed, str):
        return claimed
    return _attempt(acct, claimed, msg, msg.payload)


def _claim(msg: NotifyMessage) -> Delivery | str:
    """Claim attempt N of the message's delivery (the record, written ETag-guarded before the
    POST) or say why there is nothing to post: duplicate, final state, stale, in-flight,
    requeued. Raises StorageConflict when another writer got there first: look again."""
    acct, sub_id, key, token, n = msg.account_id, msg.subscription_id, msg.event_key, msg.token, msg.attempt
    deliveries = deliveries_repo()
    stale_after = timedelta(seconds=get_settings().notify_timeout_seconds + STALE_GRACE)
    now = utcnow()
    if n == 1:  # the common case: a first attempt nobody has claimed yet
        fresh = Delivery(SubscriptionId=sub_id, EventKey=key, EventId=event_id(sub_id, key), Token=token, Attempt=n,
                         State=D_SENDING, SendingAt=now, FirstAttemptAt=_parse_time(msg.first_attempt_at, now),
                         UpdatedAt=now)
        try:
            deliveries.insert(acct, fresh)
            return fresh
        except StorageConflict:
            pass
    current = deliveries.get(acct, sub_id, key)
    if current is None:
        if n == 1:
            raise StorageConflict("missing")  # created and removed meanwhile: insert again
        current = Delivery(SubscriptionId=sub_id, EventKey=key, EventId=event_id(sub_id, key), Token=token,
                           Attempt=n, State=D_SENDING, SendingAt=now,
                           FirstAttemptAt=_parse_time(msg.first_attempt_at, now),
                           UpdatedAt=now)  # its record vanished: start one for this attempt
        deliveries.insert(acct, current)
        return current
    if current.Token != token:
        return "duplicate"          # another fan-out of the same event owns this delivery
    if current.State in D_FINAL:
        return current.State
    if current.Attempt > n:
        return "stale"
    if current.State == D_SENDING:
        age = now - (current.SendingAt or now)
        if age < stale_after:       # a live worker is on it: look again once it must be done
            _requeue(msg, n, (stale_after - age).total_seconds() + 1)
            return "in-flight"
    elif current.Attempt == n and current.State == D_RETRY:
        # attempt n failed and n+1 may not have been queued (crash in between): queue it
        due = current.NextAttemptAt or now
        _requeue(msg, n + 1, (due - now).total_seconds())
        return "requeued"
    current.Attempt, current.State, current.SendingAt, current.UpdatedAt = n, D_SENDING, now, now
    deliveries.replace(acct, current)
    return current


def _attempt(acct: str, record: Delivery, msg: NotifyMessage, payload: dict[str, Any]) -> str:
    sub = subscriptions_repo().get(acct, record.SubscriptionId)
    if sub is None:
        _finish(acct, record, D_GONE, 0, "the subscription was deleted")
        return "unsubscribed"
    outcome, delay = _settle(record, _post(sub, record, msg.event_type, payload))
    saved = _save(acct, record)
    _follow_up(acct, sub, record, msg, outcome, delay, saved)
    return outcome


def _post(sub: Subscription, record: Delivery, event_type: str, payload: dict[str, Any]) -> Any:
    """One signed POST of an event to its flow; the callbacks module's result."""
    from .callbacks import post_json

    body_data = {**payload, "EventId": record.EventId}
    body = json.dumps(body_data, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    headers = {SIGNATURE_HEADER: sign(sub.Secret, body), EVENT_HEADER: record.EventId,
               "X-PowerTextor-Event-Type": event_type, "X-PowerTextor-Attempt": str(record.Attempt),
               "User-Agent": "PowerTextor-Webhooks/1"}
    return post_json(sub.CallbackUrl, body, headers, get_settings().notify_timeout_seconds)


def _settle(record: Delivery, result: Any) -> tuple[str, float | None]:
    """What an answer means for the record (changed in place, not saved): delivered, gone
    (404/410), retry after a delay (429/5xx/timeouts, until NOTIFY_MAX_AGE_SECONDS), or dead."""
    settings = get_settings()
    now = utcnow()
    record.LastStatus, record.UpdatedAt, record.NextAttemptAt = result.status, now, None
    if 200 <= result.status < 300:
        record.State, record.DeliveredAt, record.LastError = D_DELIVERED, now, ""
        return "delivered", None
    if result.status in (404, 410):
        record.State, record.LastError = D_GONE, result.error[:500]
        return "gone", None
    transient = not result.refused and (result.status == 0 or result.status in (408, 425, 429)
                                        or result.status >= 500)
    if transient:
        delay = max(backoff_seconds(record.Attempt), min(result.retry_after or 0, settings.notify_backoff_max_seconds))
        if (now + timedelta(seconds=delay) - record.FirstAttemptAt).total_seconds() <= settings.notify_max_age_seconds:
            record.State, record.NextAttemptAt = D_RETRY, now + timedelta(seconds=delay)
            record.LastError = result.error[:500]
            return "retry", delay
    record.State, record.LastError = D_DEAD, (result.error or f"HTTP {result.status}")[:500]
    return "dead", None


def _follow_up(acct: str, sub: Subscription, record: Delivery, msg: NotifyMessage, outcome: str,
               delay: float | None, saved: bool) -> None:
    """What a settled attempt sets off once its record is written."""
    from .subscriptions import remove_gone

    if outcome == "gone":
        remove_gone(acct, sub.SubscriptionId)
    elif outcome == "retry":
        if saved:
            _requeue(msg, record.Attempt + 1, delay or 0.0)
        log.info("delivery %s attempt %d failed (%s); retry in %.0f s", record.EventId, record.Attempt,
                 record.LastError, delay or 0.0)
    elif outcome == "dead":
        _dead_letter(acct, sub, record.LastError, record.UpdatedAt or utcnow())
        log.warning("delivery %s dead-lettered after %d attempts: %s", record.EventId, record.Attempt,
                    record.LastError)


@dataclass(frozen=True)
class Event:
    """One event for one subscription, delivered by ``deliver_many``."""

    sub: Subscription
    key: str
    type: str
    payload: dict[str, Any]


def group_token(sub: Subscription, key: str) -> str:
    """The token of a delivery claimed by ``deliver_many``: the same on every run of the
    message that made it, so a re-run's fallback message recognises the claim as its own."""
    return "g" + hashlib.sha256(event_id(sub.SubscriptionId, key).encode()).hexdigest()[:24]


def deliver_many(acct: str, events: list[Event]) -> None:
    """First attempts of a group of events, posted from here rather than through one notify
    message each: the claims in one transaction, the POSTs side by side, the results in one
    transaction; retries go through notify messages as usual. If a claim exists already (the
    message that made these events is being retried), every event of the group takes the
    one-by-one way instead — a notify message with the same token, which finds its claim."""
    if not events:
        return
    now = utcnow()
    records = [Delivery(SubscriptionId=e.sub.SubscriptionId, EventKey=e.key,
                        EventId=event_id(e.sub.SubscriptionId, e.key), Token=group_token(e.sub, e.key), Attempt=1,
                        State=D_SENDING, SendingAt=now, FirstAttemptAt=now, UpdatedAt=now) for e in events]
    messages = [NotifyMessage(account_id=acct, subscription_id=e.sub.SubscriptionId, event_key=e.key, token=r.Token,
                              attempt=1, first_attempt_at=iso(now), event_type=e.type, payload=e.payload)
                for e, r in zip(events, records)]
    try:
        deliveries_repo().insert_all(acct, records)
    except StorageConflict:
        for msg in messages:
            repos().queues.put(msg)
        return
    results = map_concurrently(lambda pair: _post(pair[0].sub, pair[1], pair[0].type, pair[0].payload),
                               list(zip(events, records)), NOTIFY_CONCURRENCY)
    settled = [_settle(r, result) for r, result in zip(records, results)]
    try:
        deliveries_repo().replace_all(acct, records)
        saved = [True] * len(records)
    except StorageConflict:
        saved = [_save(acct, r) for r in records]
    for e, r, msg, (outcome, delay), ok in zip(events, records, messages, settled, saved):
        _follow_up(acct, e.sub, r, msg, outcome, delay, ok)


def _save(acct: str, record: Delivery) -> bool:
    try:
        deliveries_repo().replace(acct, record)
        return True
    except StorageConflict:
        log.warning("delivery %s: record changed under attempt %d; leaving it to the newer writer",
                    record.EventId, record.Attempt)
        return False


def _finish(acct: str, record: Delivery, state: str, status: int, error: str) -> None:
    record.State, record.LastStatus, record.LastError, record.UpdatedAt = state, status, error[:500], utcnow()
    if state == D_DELIVERED:
        record.DeliveredAt = record.UpdatedAt
    record.NextAttemptAt = None
    _save(acct, record)


def _dead_letter(acct: str, sub: Subscription, error: str, now: datetime) -> None:
    repo = subscriptions_repo()

    def attempt() -> None:
        current = repo.get(acct, sub.SubscriptionId)
        if current is None:
            return
        current.DeadLetterCount += 1
        current.LastError, current.LastErrorAt = error[:500], now
        repo.replace(current)

    retry_on_conflict(attempt, tries=5, gave_up=lambda: None)  # best effort: the count is informative


def _requeue(msg: NotifyMessage, n: int, delay: float) -> None:
    repos().queues.put(msg.model_copy(update={"attempt": n}), max(0.0, delay))


def on_notify(raw: bytes | str) -> None:
    consume(raw, NotifyMessage, lambda m: f"{m.event_key} -> {m.subscription_id} {handle(m)}")
