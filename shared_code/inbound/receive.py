"""Received texts: the webhook only routes and enqueues (texts arriving together share one queue
message); the ``inbound`` queue handler stores a message's texts (once per MessageSid), applies
STOP/START/HELP, delivers them to the matching flows and sends the keyword replies. Every step
is safe to run twice."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..accounts.models import Account
from ..accounts.storage import accounts_repo
from ..addressbook.storage import address_book_repo
from ..common.clock import iso, utcnow
from ..common.config import get_settings
from ..common.context import repos
from ..common.queue_messages import consume
from ..common.text.phones import mask
from ..common.text.words import first_word
from ..conversations.threads import record_received, record_reply
from ..triggers.models import MMS, SMS, Subscription
from .keywords import classify
from .models import (InboundGroupMessage, InboundMessage, InboundQueueBody, InboundQueueMessage, OptOutEvent,
                     ReceivedText)
from .storage import inbound_repo, new_row_id

log = logging.getLogger("powertextor.inbound")
LOCATION_FIELDS = ("FromCity", "FromState", "FromZip", "FromCountry", "ToCity", "ToState", "ToZip", "ToCountry")
_MEDIA = re.compile(r"^MediaUrl(\d+)$")
KEYWORD_REPLY = "keyword-reply"  # the "campaign" of STOP/START/HELP replies in provider records


def _int(value: Any) -> int:
    try:
        return max(0, int(str(value).strip()))
    except (TypeError, ValueError):
        return 0


# ---------------------------------------------------------------- webhook side

_routes: dict[str, tuple[float, str]] = {}
ROUTE_TTL = 60.0  # seconds a number -> account route is reused (numbers move between accounts rarely)


def _account_for(number: str) -> str | None:
    """The account a number belongs to, remembered briefly: the webhook answers in
    milliseconds at any rate without a table read per text. Unknown numbers are not cached."""
    hit = _routes.get(number)
    if hit and time.monotonic() - hit[0] < ROUTE_TTL:
        return hit[1]
    account_id = accounts_repo().account_id_for_number(number)
    if account_id:
        _routes[number] = (time.monotonic(), account_id)
    return account_id


# Texts per inbound queue message and their JSON size: a queue message holds 64 KiB of base64
# (48 KiB of JSON); one message's texts are stored in one table transaction of 2 rows each
# (at most 100 operations).
MAX_TEXTS_PER_MESSAGE = 32
MAX_MESSAGE_CHARS = 40_000
_group: Any = None


def _enqueue(texts: list[InboundQueueMessage]) -> None:
    repos().queues.put(texts[0] if len(texts) == 1 else InboundGroupMessage(texts=texts))


def _size(text: InboundQueueMessage) -> int:
    return len(text.wire_json())


def _webhook_group() -> Any:
    """One group commit per process for the webhook's queue writes: texts arriving together
    share one queue message, and every webhook answers only once its message is stored."""
    global _group
    if _group is None:
        from ..common.coalesce import GroupCommit

        _group = GroupCommit(lambda texts: _enqueue(texts), window=get_settings().inbound_group_window_ms / 1000,
                             max_items=MAX_TEXTS_PER_MESSAGE, max_size=MAX_MESSAGE_CHARS, size_of=_size)
    return _group


def accept(params: dict[str, str]) -> str:
    """Route a signed webhook to its account by the To number and enqueue it (with the texts
    arriving at the same moment, in one message). Unknown numbers are logged and dropped
    (Twilio gets 200 so it does not retry)."""
    to = (params.get("To") or "").strip()
    account_id = _account_for(to) if to else None
    if account_id is None:
        log.warning("text %s to unknown number %s dropped", params.get("MessageSid", "?"), mask(to))
        return "unknown-number"
    _webhook_group().submit(InboundQueueMessage(account_id=account_id, params=params, received_at=iso(utcnow())))
    return "queued"


# ---------------------------------------------------------------- queue side

def on_inbound(raw: bytes | str) -> None:
    """One text (``InboundQueueMessage``) or a group of them (``InboundGroupMessage``), parsed
    once as ``InboundQueueBody``."""
    consume(raw, InboundQueueBody, lambda m: _outcome(m.root))


def _outcome(msg: InboundGroupMessage | InboundQueueMessage) -> Any:
    if isinstance(msg, InboundGroupMessage):
        return _process_texts(msg.texts)
    return f"{msg.params.get('MessageSid', '?')} {_process_texts([msg])[0]}"


def _process_texts(texts: list[InboundQueueMessage]) -> list[str]:
    by_account: dict[str, list[tuple[dict[str, str], datetime]]] = {}
    for t in texts:
        by_account.setdefault(t.account_id, []).append((t.params, _time(t.received_at)))
    return [outcome for account_id, group in by_account.items() for outcome in process_many(account_id, group)]


def _time(text: Any) -> datetime:
    if isinstance(text, str) and text:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
    return utcnow()


def media_items(params: dict[str, str]) -> list[dict[str, str]]:
    """Every MediaUrl{N}/MediaContentType{N} pair, in order (NumMedia or whatever is present)."""
    indexes = {int(m.group(1)) for k in params if (m := _MEDIA.match(k))}
    indexes |= set(range(_int(params.get("NumMedia"))))
    return [{"Url": params[f"MediaUrl{i}"], "ContentType": params.get(f"MediaContentType{i}", "")}
            for i in sorted(indexes) if params.get(f"MediaUrl{i}")]


def build(account_id: str, params: dict[str, str], received_at: datetime,
          contacts: dict[str, tuple[str, str]] | None = None) -> InboundMessage:
    """The stored form of one webhook; ``contacts`` (phone -> (contact id, name)) when the
    senders were looked up together, else one lookup here."""
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or params.get("SmsSid") or ""
    if not sid:  # not from Twilio's messaging webhook, but signed: keep it, deduped on its content
        import hashlib

        sid = "X" + hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:32]
    body = params.get("Body", "")
    keyword, action = classify(body, params.get("OptOutType"))
    media = media_items(params)
    sender = (params.get("From") or "").strip()
    contact_id, contact_name = "", ""
    if contacts is not None:
        contact_id, contact_name = contacts.get(sender, ("", ""))
    elif sender:
        book = address_book_repo()
        contact_id = book.contact_id_for_phone(account_id, sender) or ""
        contact = book.get_contact(account_id, contact_id) if contact_id else None
        contact_name = contact.full_name if contact else ""
    return InboundMessage(
        MessageId=new_row_id(), AccountId=account_id, MessageSid=sid,
        SmsSid=params.get("SmsSid") or sid, AccountSid=params.get("AccountSid", ""),
        MessagingServiceSid=params.get("MessagingServiceSid", ""), From=sender, To=(params.get("To") or "").strip(),
        Body=body, NumMedia=max(_int(params.get("NumMedia")), len(media)), NumSegments=_int(params.get("NumSegments")),
        Media=media, ContactId=contact_id, ContactName=contact_name, Keyword=keyword, KeywordAction=action,
        OptOutType=params.get("OptOutType", ""), SmsStatus=params.get("SmsStatus") or params.get("MessageStatus") or "",
        Params=params, ReceivedAt=received_at, **{f: params.get(f, "") for f in LOCATION_FIELDS})


def process(account_id: str, params: dict[str, str], received_at: datetime) -> str:
    return process_many(account_id, [(params, received_at)])[0]


def process_many(account_id: str, texts: list[tuple[dict[str, str], datetime]]) -> list[str]:
    """Store a group of one account's texts once each, apply STOP/START/HELP, deliver them to
    the matching flows and send keyword replies; returns each text's outcome.

    A group costs a handful of storage calls whatever its size: one contact lookup per 14
    senders, one transaction for the texts, one subscription list, one transaction for the
    delivery claims and one for their results (triggers.notify.deliver_many). The account
    itself is read only when a reply is owed (its reply texts and sender): the webhook routed
    the texts by the account's own number, and accounts are never deleted."""
    from .optouts import apply_keyword

    senders = sorted({(p.get("From") or "").strip() for p, _ in texts} - {""})
    contacts = address_book_repo().contacts_for_phones(account_id, senders)
    built = [build(account_id, params, received_at, contacts) for params, received_at in texts]
    stored = inbound_repo().insert_many(built)
    record_received(account_id, stored)
    events = [apply_keyword(account_id, m) if m.KeywordAction else None for m, _ in stored]
    # Deliver on every run, also for texts already stored: a run that died before its
    # deliveries were claimed must not lose them; a claimed one is not posted twice (notify.py).
    changes = [(m, e) for (m, _), e in zip(stored, events) if e is not None]
    delivered = fan_out_many(account_id, [m for m, _ in stored], changes)
    # one INFO line per group, the texts at DEBUG: each record is billed in Application Insights
    log.info("%d text(s) for account %s (%d new): %d flow notification(s)", len(stored), account_id,
             sum(1 for _, created in stored if created), sum(delivered.values()))
    account: Account | None = None
    for (m, created), event in zip(stored, events):
        log.debug("text %s from %s (%s): %d flow(s)", m.MessageId, mask(m.From), "new" if created else "again",
                  delivered.get(m.MessageId, 0))
        if event is not None and event.ReplyDue and not event.Replied:
            account = account or accounts_repo().get(account_id)
            if account is None:
                log.warning("no account %s: the %s reply to %s is not sent", account_id, event.Keyword, mask(m.From))
                continue
            _reply(account, m, event)
    return ["stored" if created else "duplicate" for _, created in stored]


def matches(s: Subscription, m: InboundMessage) -> bool:
    if s.Kind == SMS and m.NumMedia > 0 or s.Kind == MMS and m.NumMedia == 0 or s.Kind not in (SMS, MMS):
        return False
    if s.FromNumber and s.FromNumber != m.From:
        return False
    return not s.Keyword or first_word(m.Body) == s.Keyword


def fan_out_many(account_id: str, texts: list[InboundMessage],
                 changes: Sequence[tuple[InboundMessage, OptOutEvent]] = ()) -> dict[str, int]:
    """Deliver each text to every matching subscription, and each keyword opt-out or opt-in
    (``changes``: the text and its audit row) to the opt-out trigger's flows, in one group;
    returns text flows per message id."""
    from ..triggers.notify import Event, deliver_many
    from ..triggers.subscriptions import for_account
    from .optouts import trigger_events

    subs = for_account(account_id)
    events = [Event(s, m.MessageId, "message.received", payload_of(m)) for m in texts for s in subs if matches(s, m)]
    counts: dict[str, int] = {}
    for e in events:
        counts[e.key] = counts.get(e.key, 0) + 1
    events += trigger_events(subs, [(e, m.MessageId, m.ContactId, m.ContactName) for m, e in changes])
    deliver_many(account_id, events)
    return counts


def payload_of(m: InboundMessage) -> dict[str, Any]:
    """The original connector's SMS and MMS fields, plus ours (MessageId, ReceivedAt, contact,
    Keyword, Media = every item)."""
    first = m.Media[0] if m.Media else {}
    data: dict[str, Any] = {
        "EventType": "message.received", "MessageId": m.MessageId, "ReceivedAt": iso(m.ReceivedAt),
        "MessageSid": m.MessageSid, "SmsSid": m.SmsSid, "AccountSid": m.AccountSid,
        "MessagingServiceSid": m.MessagingServiceSid, "From": m.From, "To": m.To, "Body": m.Body,
        "MessageStatus": m.SmsStatus or "received", "OptOutType": m.OptOutType,
        "NumMedia": m.NumMedia, "NumSegments": m.NumSegments,
        "ReferralNumMedia": _int(m.Params.get("ReferralNumMedia")),
        "mediaURL": first.get("Url", ""), "contentType": first.get("ContentType", ""), "Media": m.Media,
        "ContactId": m.ContactId, "ContactName": m.ContactName, "Keyword": m.Keyword,
    }
    data.update({f: getattr(m, f) for f in LOCATION_FIELDS})
    return data


def _reply(account: Account, m: InboundMessage, event: OptOutEvent) -> None:
    """STOP/START confirmation or HELP answer, from the number the text went to. The reply is
    claimed first (ETag-guarded), so two runs of one message reply once, and the run that sent
    it adds it to the number's thread. A transient provider error releases the claim and raises
    (the inbound message is retried); a permanent one is logged, shown failed in the thread and
    not retried."""
    from ..common.sms.base import OutboundMessage, ProviderError
    from ..common.sms.factory import get_provider
    from ..conversations.threads import status_callback
    from .optouts import claim_reply, release_reply, reply_text

    if not claim_reply(event):
        return
    reply_id, at = f"{KEYWORD_REPLY}-{m.MessageId}", utcnow()
    service = account.MessagingServiceSid or get_settings().twilio_messaging_service_sid or None
    message = OutboundMessage(account_id=account.AccountId, campaign_id=KEYWORD_REPLY, to=m.From,
                              body=reply_text(account, event.Action), from_number=m.To or account.Phone,
                              messaging_service_sid=service,
                              status_callback=status_callback(account.AccountId, m.From, at, reply_id))
    try:
        sent = get_provider().send(message)
    except ProviderError as err:
        if err.transient:
            release_reply(event)
            raise
        log.warning("%s reply to %s refused: %s %s", event.Keyword, mask(m.From), err.code, err.message)
        from ..conversations.models import FAILED

        record_reply(account.AccountId, m.From, message.body, reply_id, event.Keyword, FAILED, at,
                     str(err.code or err.status or ""), err.message[:500])
        return
    record_reply(account.AccountId, m.From, message.body, reply_id, event.Keyword, sent.status, at)


# ---------------------------------------------------------------- API side

def message_data(m: InboundMessage) -> ReceivedText:
    data = payload_of(m)
    data.pop("EventType", None)
    return ReceivedText(**data)


def kind_of(m: InboundMessage) -> str:
    return MMS if m.NumMedia > 0 else SMS
