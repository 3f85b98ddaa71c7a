"""Received texts: the webhook only routes and enqueues; the ``inbound`` queue handler stores
the text (once per MessageSid), applies STOP/START/HELP, fans out one ``notify`` message per
matching subscription and sends the keyword reply. Every step is safe to run twice."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime
from typing import Any

from ..clock import iso, utcnow
from ..config import get_settings
from ..models.accounts import Account
from ..models.inbound import MMS, SMS, InboundMessage, OptOutEvent, ReceivedText, Subscription
from ..storage.inbound import new_row_id
from ..storage.names import INBOUND_QUEUE
from ..text.phones import mask
from .context import repos
from .keywords import classify, first_word

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
    account_id = repos().accounts.account_id_for_number(number)
    if account_id:
        _routes[number] = (time.monotonic(), account_id)
    return account_id


def accept(params: dict[str, str]) -> str:
    """Route a signed webhook to its account by the To number and enqueue it. Unknown numbers
    are logged and dropped (Twilio gets 200 so it does not retry)."""
    to = (params.get("To") or "").strip()
    account_id = _account_for(to) if to else None
    if account_id is None:
        log.warning("text %s to unknown number %s dropped", params.get("MessageSid", "?"), mask(to))
        return "unknown-number"
    repos().queues.send(INBOUND_QUEUE, {"a": account_id, "p": params, "r": iso(utcnow())})
    return "queued"


# ---------------------------------------------------------------- queue side

def on_inbound(raw: bytes | str) -> None:
    try:
        msg = json.loads(raw)
    except (ValueError, TypeError):
        msg = None
    if not isinstance(msg, dict) or not isinstance(msg.get("p"), dict) or not msg.get("a"):
        log.error("dropping malformed inbound message (%d bytes)", len(raw or b""))
        return
    params = {str(k): str(v) for k, v in msg["p"].items()}
    received = _time(msg.get("r"))
    outcome = process(str(msg["a"]), params, received)
    log.info("inbound %s: %s", params.get("MessageSid", "?"), outcome)


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


def build(account: Account, params: dict[str, str], received_at: datetime) -> InboundMessage:
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or params.get("SmsSid") or ""
    if not sid:  # not from Twilio's messaging webhook, but signed: keep it, deduped on its content
        import hashlib

        sid = "X" + hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:32]
    body = params.get("Body", "")
    keyword, action = classify(body, params.get("OptOutType"))
    media = media_items(params)
    sender = (params.get("From") or "").strip()
    contact_id, contact_name = "", ""
    if sender:
        book = repos().address_book
        contact_id = book.contact_id_for_phone(account.AccountId, sender) or ""
        contact = book.get_contact(account.AccountId, contact_id) if contact_id else None
        contact_name = contact.full_name if contact else ""
    return InboundMessage(
        MessageId=new_row_id(), AccountId=account.AccountId, MessageSid=sid,
        SmsSid=params.get("SmsSid") or sid, AccountSid=params.get("AccountSid", ""),
        MessagingServiceSid=params.get("MessagingServiceSid", ""), From=sender, To=(params.get("To") or "").strip(),
        Body=body, NumMedia=max(_int(params.get("NumMedia")), len(media)), NumSegments=_int(params.get("NumSegments")),
        Media=media, ContactId=contact_id, ContactName=contact_name, Keyword=keyword, KeywordAction=action,
        OptOutType=params.get("OptOutType", ""), SmsStatus=params.get("SmsStatus") or params.get("MessageStatus") or "",
        Params=params, ReceivedAt=received_at, **{f: params.get(f, "") for f in LOCATION_FIELDS})


def process(account_id: str, params: dict[str, str], received_at: datetime) -> str:
    from .optouts import apply_keyword

    account = repos().accounts.get(account_id)
    if account is None:
        return "no-account"
    stored, created = repos().inbound.insert_once(build(account, params, received_at))
    event = apply_keyword(account, stored) if stored.KeywordAction else None
    # Fan out on every run, also for a text already stored: a run that died before its
    # notify messages were queued must not lose them. Each run's messages carry their own
    # token and the first to claim a delivery owns it (notify.py): one POST per flow and text.
    queued = fan_out(account, stored)
    log.info("text %s from %s (%s): %d notifications queued", stored.MessageId, mask(stored.From),
             "new" if created else "again", queued)
    if event is not None and event.ReplyDue and not event.Replied:
        _reply(account, stored, event)
    return "stored" if created else "duplicate"


def matches(s: Subscription, m: InboundMessage) -> bool:
    if s.Kind == SMS and m.NumMedia > 0 or s.Kind == MMS and m.NumMedia == 0 or s.Kind not in (SMS, MMS):
        return False
    if s.FromNumber and s.FromNumber != m.From:
        return False
    return not s.Keyword or first_word(m.Body) == s.Keyword


def fan_out(account: Account, m: InboundMessage) -> int:
    from .notify import enqueue
    from .subscriptions import for_account

    payload = payload_of(m)
    count = 0
    for s in for_account(account.AccountId):
        if matches(s, m):
            enqueue(account.AccountId, s, m.MessageId, "message.received", payload)
            count += 1
    return count


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
    claimed first (ETag-guarded), so two runs of one message reply once. A transient provider
    error releases the claim and raises (the inbound message is retried); a permanent one is
    logged and not retried."""
    from ..sms.base import OutboundMessage, ProviderError
    from ..sms.factory import get_provider
    from .optouts import claim_reply, release_reply, reply_text

    if not claim_reply(event):
        return
    service = account.MessagingServiceSid or get_settings().twilio_messaging_service_sid or None
    message = OutboundMessage(account_id=account.AccountId, campaign_id=KEYWORD_REPLY, to=m.From,
                              body=reply_text(account, event.Action), from_number=m.To or account.Phone,
                              messaging_service_sid=service)
    try:
        get_provider().send(message)
    except ProviderError as err:
        if err.transient:
            release_reply(event)
            raise
        log.warning("%s reply to %s refused: %s %s", event.Keyword, mask(m.From), err.code, err.message)


# ---------------------------------------------------------------- API side

def message_data(m: InboundMessage) -> ReceivedText:
    data = payload_of(m)
    data.pop("EventType", None)
    return ReceivedText(**data)


def kind_of(m: InboundMessage) -> str:
    return MMS if m.NumMedia > 0 else SMS
