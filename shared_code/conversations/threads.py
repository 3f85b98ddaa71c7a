"""Conversations: the hooks the send pipeline and the inbound handler call, and the reads the
portal's inbox and thread pages make. A hook never fails its caller: a text already sent (or
stored) must not be retried because its thread could not be written; the failure is logged."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ..common.clock import utcnow
from ..common.paging import Page, decode_token, encode_token
from .models import IN, OUT, ConversationText, ConversationThread
from .storage import ACTIVITY, conversations_repo

log = logging.getLogger("powertextor.conversations")
NOT_SENT = frozenset({"pending", "sending", "cancelled"})  # recipient states that are no text in a thread


def record_sent(account_id: str, campaign_id: str, body: str, media_urls: Sequence[str],
                results: Iterable[tuple[Any, str, str, str, str]]) -> None:
    """The send batch's outcomes (recipient, status, sid, error code, message) as texts of
    each number's thread; retries still to come are left out. A text's time is when its first
    unresolved attempt was claimed (``UncertainSince``), which a rerun of the same attempt keeps:
    a text recorded twice lands on the same row."""
    try:
        texts = []
        for r, status, _sid, code, message in results:
            if status in NOT_SENT:
                continue
            at = getattr(r, "UncertainSince", None) or getattr(r, "SendingAt", None) or utcnow()
            texts.append(ConversationText(Number=r.Phone, Direction=OUT, Body=body, At=at, MessageId=campaign_id,
                                          CampaignId=campaign_id, Status=status, ErrorCode=code or "",
                                          ErrorMessage=message or "", ContactName=getattr(r, "Name", "") or "",
                                          Media=[{"Url": u, "ContentType": ""} for u in media_urls]))
        if texts:
            conversations_repo().add_sent(account_id, texts)
    except Exception:  # noqa: BLE001 - see the module's docstring
        log.exception("campaign %s: its texts could not be added to their conversations", campaign_id)


def record_received(account_id: str, stored: Iterable[tuple[Any, bool]]) -> None:
    """Received texts (the inbound handler's stored texts, new or found again) in their
    threads, once each: the thread's unread count counts each text once however often its
    queue message runs."""
    try:
        by_number: dict[str, list[ConversationText]] = {}
        for m, _created in stored:
            if not m.From:
                continue
            by_number.setdefault(m.From, []).append(ConversationText(
                Number=m.From, Direction=IN, Body=m.Body, At=m.ReceivedAt, MessageId=m.MessageId,
                Media=list(m.Media), ContactName=m.ContactName or "", Status="received"))
        conversations_repo().add_received(account_id, by_number)
    except Exception:  # noqa: BLE001 - see the module's docstring
        log.exception("received texts could not be added to their conversations")


def record_reply(account_id: str, number: str, body: str, reply_id: str, keyword: str, status: str, at: datetime,
                 error_code: str = "", error_message: str = "") -> None:
    """An automatic reply to a keyword text (STOP/START/HELP) as a text of the number's thread:
    it goes to the provider directly, not through a campaign. Called by the one run that
    claimed the reply, once it was sent (or refused for good); ``reply_id`` comes from the
    keyword text, so its rows are the same if it is ever written again. ``at`` is when it was
    sent: with the number and ``reply_id`` it names the row (``text_key``) its status callback
    moves on."""
    try:
        conversations_repo().add_sent(account_id, [ConversationText(
            Number=number, Direction=OUT, Body=body, At=at, MessageId=reply_id, Status=status,
            ErrorCode=error_code, ErrorMessage=error_message, Keyword=keyword)])
    except Exception:  # noqa: BLE001 - see the module's docstring
        log.exception("a %s reply could not be added to its conversation", keyword)


def status_callback(account_id: str, number: str, at: datetime, message_id: str) -> str | None:
    """Where the provider posts the delivery receipts of a text sent outside campaigns (a
    keyword reply): its row, by key (the signature Twilio computes over this URL keeps it from
    being pointed at another row)."""
    from urllib.parse import urlencode

    from ..common.urls import public_url
    from .storage import text_key

    return public_url(f"/api/twilio/status?{urlencode({'a': account_id, 'm': text_key(number, at, message_id)})}")


# ---------------------------------------------------------------- reads

def inbox(account_id: str, top: int, skiptoken: str | None = None) -> Page[ConversationThread]:
    """A page of the threads with the newest texts, newest first, with their unread counts: the
    activity from the newest row, then the shown threads' unread rows (a few keyed queries),
    whatever the account's size. ``skiptoken`` is the previous page's ``next_token``: the
    activity row it ended on. The threads are read first: a text stored between the two reads
    then shows its thread's count, or not yet the thread — never a listed thread without the
    unread text it was listed for."""
    repo = conversations_repo()
    threads, last = repo.recent(account_id, top, after=decode_token(skiptoken, prefix=ACTIVITY))
    return Page(_with_unread(account_id, threads), encode_token(last) if last else None)


def _with_unread(account_id: str, threads: list[ConversationThread]) -> list[ConversationThread]:
    unread = conversations_repo().unread(account_id, [t.Number for t in threads])
    return [t.model_copy(update={"Unread": unread.get(t.Number, 0)}) for t in threads]


def search(account_id: str, text: str, phones: Iterable[str], top: int, region: str = "US") -> list[ConversationThread]:
    """The threads of ``phones`` (the contacts whose name or number matched: the address
    book's search) and of the numbers ``text`` begins (a whole number, in E.164 or the
    account's national format, is one), newest first. Keyed reads only, however many
    threads the account has: a number that is no contact is found by its beginning, not by a
    fragment from its middle."""
    repo = conversations_repo()
    wanted = dict.fromkeys(phones)
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits:
        whole = _as_number(text, region)
        if whole:
            wanted[whole] = None
        wanted.update(dict.fromkeys(repo.numbers_starting(account_id, "+" + digits, top)))
    found = repo.threads(account_id, list(wanted))
    found.sort(key=lambda t: t.LastAt, reverse=True)
    return _with_unread(account_id, found[:top])


def _as_number(text: str, region: str) -> str | None:
    from ..common.errors import ValidationFailed
    from ..common.text.phones import to_e164

    try:
        return to_e164(text, region=region, field="search")
    except ValidationFailed:
        return None


def texts(account_id: str, number: str, top: int) -> list[ConversationText]:
    """A thread's newest texts, oldest first (as a thread reads)."""
    return conversations_repo().texts(account_id, number, top)[::-1]


def key_of(t: ConversationText) -> str:
    from .storage import message_key

    return message_key(t)


def mark_read(account_id: str, number: str) -> None:
    conversations_repo().mark_read(account_id, number)

