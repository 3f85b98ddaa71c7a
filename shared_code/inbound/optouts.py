"""Opt-outs per account and number: STOP/START keywords, changes by hand, the audit trail,
and the checks the sending pipeline makes (dispatch skips opted-out numbers; send checks
again just before texting, so a STOP counts from the moment it is processed).

One store (OptOuts: current state, OptOutLog: every change, never rewritten) serves all of
them, through ``optouts_repo()``.

Every opt-out and opt-in (not help) also starts the flows on the opt-out trigger: the keyword
ones through the inbound handler's deliveries (``receive.fan_out_many``), the ones by hand
queued here — both keyed by the audit row, so a re-run posts nothing twice (triggers/notify)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..accounts.models import Account, Caller
from ..common.clock import utcnow
from ..common.errors import ConcurrentUpdate
from ..common.paging import Page, paginate
from ..common.storage.rows import retry_on_conflict
from ..common.text.phones import mask, to_e164
from ..triggers.models import OPTOUT
from .models import (DIRECTIONS, HELP, OPT_IN, OPT_OUT, OPTOUT_EVENT_TYPE, SOURCE_KEYWORD, SOURCE_MANUAL, SOURCE_TWILIO,
                     InboundMessage, OptOut, OptOutBody, OptOutChangeEvent, OptOutCheck, OptOutEvent, OptOutEventOut,
                     OptOutQuery, OptOutState)
from .storage import new_row_id, optouts_repo

if TYPE_CHECKING:
    from ..triggers.models import Subscription
    from ..triggers.notify import Event

log = logging.getLogger("powertextor.optouts")
DEFAULT_PAGE = 100


def _set_state(acct: str, phone: str, opted_out: bool, *, keyword: str, source: str, at: datetime,
               message_id: str = "", changed_by: str = "") -> tuple[OptOut, bool]:
    """Record the state, ETag-guarded, and say whether it moved (opted out ↔ textable); a change
    older than the stored one (texts processed out of order, or a queue retry) does not overwrite
    it. A re-run of the text that wrote the state answers as its first run did, from the state
    it kept of before."""
    repo = optouts_repo()

    def attempt() -> tuple[OptOut, bool]:
        current = repo.get(acct, phone)
        if current is not None and message_id and current.MessageId == message_id:
            return current, current.OptedOut != current.WasOptedOut
        if current is not None and current.ChangedAt > at:
            return current, False
        was = bool(current and current.OptedOut)
        state = OptOut(Phone=phone, AccountId=acct, OptedOut=opted_out, Keyword=keyword, Source=source,
                       MessageId=message_id, ChangedBy=changed_by, ChangedAt=at, WasOptedOut=was)
        if current is not None:
            state.with_etag(current.etag)
        repo.put(state)
        return state, was != opted_out

    return retry_on_conflict(attempt, gave_up=ConcurrentUpdate(
        "The opt-out kept changing while it was being updated; try again."))


def apply_keyword(account_id: str, m: InboundMessage) -> OptOutEvent | None:
    """A keyword text's effect, once per text: the opt-out state, then the audit row (insert-if-
    absent, keyed by the message id, so a re-run finds the same row). Returns the audit row;
    its ReplyDue/Replied say whether a reply is still owed."""
    if m.KeywordAction not in (OPT_OUT, OPT_IN, HELP) or not m.From:
        return None
    source = SOURCE_TWILIO if m.OptOutType else SOURCE_KEYWORD
    changed = False
    if m.KeywordAction in (OPT_OUT, OPT_IN):
        _, changed = _set_state(account_id, m.From, m.KeywordAction == OPT_OUT, keyword=m.Keyword,
                                source=source, at=m.ReceivedAt, message_id=m.MessageId)
    event = OptOutEvent(Phone=m.From, AccountId=account_id, Action=m.KeywordAction, Keyword=m.Keyword,
                        Source=source, MessageId=m.MessageId, At=m.ReceivedAt, ReplyDue=not m.OptOutType,
                        Changed=changed)
    repo = optouts_repo()
    if repo.add_event(event, m.MessageId):
        log.info("%s from %s (account %s, %s)", m.Keyword, mask(m.From), account_id, source)
    return repo.get_event(account_id, m.From, m.MessageId)


def claim_reply(event: OptOutEvent) -> bool:
    """Take the reply owed for this keyword text (ETag-guarded): only one worker sends it."""
    return optouts_repo().mark_event(event, event.MessageId, Replied=True)


def release_reply(event: OptOutEvent) -> None:
    """The reply could not be sent yet (transient provider error): owe it again."""
    fresh = optouts_repo().get_event(event.AccountId, event.Phone, event.MessageId)
    if fresh is not None:
        optouts_repo().mark_event(fresh, event.MessageId, Replied=False)


def reply_text(account: Account, action: str) -> str:
    text = {OPT_OUT: account.StopReplyText, OPT_IN: account.StartReplyText, HELP: account.HelpText}[action]
    return f"{account.Name}: {text}"


# ---------------------------------------------------------------- API

def state_data(phone: str, state: OptOut | None, model: type[OptOutState] = OptOutState, **values: Any) -> Any:
    return model(Phone=phone, OptedOut=bool(state and state.OptedOut), Keyword=state.Keyword if state else "",
                 Source=state.Source if state else "", ChangedAt=state.ChangedAt if state else None,
                 MessageId=state.MessageId if state else "", ChangedBy=state.ChangedBy if state else "", **values)


def check(caller: Caller, raw_phone: str) -> OptOutCheck:
    """A number's state for the caller's account and its recent history (newest first)."""
    phone = to_e164(raw_phone, region=caller.account.Region, field="Phone")
    repo = optouts_repo()
    history = [OptOutEventOut.of_attrs(e) for e in repo.history(caller.account_id, phone, top=20)]
    return state_data(phone, repo.get(caller.account_id, phone), OptOutCheck, History=history)


def change(caller: Caller, body: OptOutBody, opted_out: bool) -> OptOutState:
    """Opt a number out or back in by hand, audited with the API key's name and the reason."""
    acct = caller.account_id
    phone = to_e164(body.Phone, region=caller.account.Region, field="Phone")
    now = utcnow()
    state, changed = _set_state(acct, phone, opted_out, keyword="", source=SOURCE_MANUAL, at=now,
                                changed_by=caller.key.Name)
    event = OptOutEvent(Phone=phone, AccountId=acct, Action=OPT_OUT if opted_out else OPT_IN, Source=SOURCE_MANUAL,
                        ChangedBy=caller.key.Name, Reason=body.Reason or "", At=now, Changed=changed)
    row_id = new_row_id()
    optouts_repo().add_event(event, row_id)
    log.info("%s %s by hand (account %s)", mask(phone), "opted out" if opted_out else "opted in", acct)
    _announce(acct, event, row_id)
    return state_data(phone, state)


# ---------------------------------------------------------------- the opt-out trigger

def trigger_key(row_id: str) -> str:
    """The delivery's event key: the audit row's id (a keyword text's message id), the same on
    every run of what recorded it."""
    return f"oo_{row_id}"


def change_payload(event: OptOutEvent, contact_id: str = "", contact_name: str = "") -> dict[str, Any]:
    return OptOutChangeEvent(EventType=OPTOUT_EVENT_TYPE, Phone=event.Phone, ContactId=contact_id,
                             ContactName=contact_name, Keyword=event.Keyword, Direction=DIRECTIONS[event.Action],
                             Source=event.Source, ChangedAt=event.At).model_dump(mode="json")


def trigger_events(subs: Iterable[Subscription],
                   changes: Iterable[tuple[OptOutEvent, str, str, str]]) -> list[Event]:
    """The opt-out trigger's deliveries for ``changes`` (audit row, its id, contact id, contact
    name): one per opt-out subscription whose direction filter admits it, for each opt-out or
    opt-in that moved the number's state. Help requests start nothing, and neither does a STOP
    from a number already opted out: the trigger says "opts out", and a flow that counts
    opt-outs or updates a CRM on one must not see the same opt-out twice."""
    from ..triggers.notify import Event

    targets = [s for s in subs if s.Kind == OPTOUT]
    return [Event(s, trigger_key(row_id), OPTOUT_EVENT_TYPE, change_payload(e, contact_id, name))
            for e, row_id, contact_id, name in changes if e.Action in DIRECTIONS and e.Changed
            for s in targets if not s.Direction or s.Direction == DIRECTIONS[e.Action]]


def _announce(acct: str, event: OptOutEvent, row_id: str) -> None:
    """Queue a change by hand for the opt-out trigger's flows (one notify message each, with the
    delivery's deterministic token). Best effort: the change is stored and answered either way;
    a failure here is logged, not turned into a 500 the caller would retry as a second change."""
    try:
        from ..addressbook.storage import address_book_repo
        from ..triggers.notify import enqueue, group_token
        from ..triggers.subscriptions import for_account

        subs = [s for s in for_account(acct) if s.Kind == OPTOUT]
        if not subs:
            return
        contact_id, name = address_book_repo().contacts_for_phones(acct, [event.Phone]).get(event.Phone, ("", ""))
        for e in trigger_events(subs, [(event, row_id, contact_id, name)]):
            enqueue(acct, e.sub, e.key, e.type, e.payload, token=group_token(e.sub, e.key))
    except Exception:  # noqa: BLE001 - never fail a stored change over a trigger
        log.exception("could not queue the opt-out trigger for %s (account %s)", mask(event.Phone), acct)


def list_opted_out(caller: Caller, query: OptOutQuery) -> Page[OptOutState]:
    """Numbers opted out now, in number order; paged (skiptoken = the last number)."""
    repo = optouts_repo()
    page = paginate(lambda after: repo.list(caller.account_id, after=after),
                    key=lambda s: s.Phone, keep=lambda s: True, top=query.top or DEFAULT_PAGE,
                    token=query.skiptoken)
    return Page([state_data(s.Phone, s) for s in page.items], page.next_token)
