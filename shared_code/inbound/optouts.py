"""Opt-outs per account and number: STOP/START keywords, changes by hand, the audit trail,
and the checks the sending pipeline makes (dispatch skips opted-out numbers; send checks
again just before texting, so a STOP counts from the moment it is processed).

One store (OptOuts: current state, OptOutLog: every change, never rewritten) serves all of
them, through ``optouts_repo()``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from ..accounts.models import Account, Caller
from ..common.clock import utcnow
from ..common.errors import ConcurrentUpdate
from ..common.paging import Page, paginate
from ..common.storage.rows import retry_on_conflict
from ..common.text.phones import mask, to_e164
from .models import (HELP, OPT_IN, OPT_OUT, InboundMessage, OptOut, OptOutBody, OptOutCheck, OptOutEvent, OptOutEventOut,
                     OptOutQuery, OptOutState)
from .storage import new_row_id, optouts_repo

log = logging.getLogger("powertextor.optouts")
DEFAULT_PAGE = 100


def _set_state(acct: str, phone: str, opted_out: bool, *, keyword: str, source: str, at: datetime,
               message_id: str = "", changed_by: str = "") -> OptOut:
    """Record the state, ETag-guarded; a change older than the stored one (texts processed out
    of order, or a queue retry) does not overwrite it."""
    repo = optouts_repo()

    def attempt() -> OptOut:
        current = repo.get(acct, phone)
        if current is not None and current.ChangedAt > at:
            return current
        state = OptOut(Phone=phone, AccountId=acct, OptedOut=opted_out, Keyword=keyword, Source=source,
                       MessageId=message_id, ChangedBy=changed_by, ChangedAt=at)
        if current is not None:
            state.with_etag(current.etag)
        repo.put(state)
        return state

    return retry_on_conflict(attempt, gave_up=ConcurrentUpdate(
        "The opt-out kept changing while it was being updated; try again."))


def apply_keyword(account: Account, m: InboundMessage) -> OptOutEvent | None:
    """A keyword text's effect, once per text: the opt-out state, then the audit row (insert-if-
    absent, keyed by the message id, so a re-run finds the same row). Returns the audit row;
    its ReplyDue/Replied say whether a reply is still owed."""
    if m.KeywordAction not in (OPT_OUT, OPT_IN, HELP) or not m.From:
        return None
    source = "twilio" if m.OptOutType else "keyword"
    if m.KeywordAction in (OPT_OUT, OPT_IN):
        _set_state(account.AccountId, m.From, m.KeywordAction == OPT_OUT, keyword=m.Keyword, source=source,
                   at=m.ReceivedAt, message_id=m.MessageId)
    event = OptOutEvent(Phone=m.From, AccountId=account.AccountId, Action=m.KeywordAction, Keyword=m.Keyword,
                        Source=source, MessageId=m.MessageId, At=m.ReceivedAt, ReplyDue=not m.OptOutType)
    repo = optouts_repo()
    if repo.add_event(event, m.MessageId):
        log.info("%s from %s (account %s, %s)", m.Keyword, mask(m.From), account.AccountId, source)
    return repo.get_event(account.AccountId, m.From, m.MessageId)


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
    state = _set_state(acct, phone, opted_out, keyword="", source="manual", at=now, changed_by=caller.key.Name)
    optouts_repo().add_event(OptOutEvent(Phone=phone, AccountId=acct, Action=OPT_OUT if opted_out else OPT_IN,
                                          Source="manual", ChangedBy=caller.key.Name, Reason=body.Reason or "",
                                          At=now), new_row_id())
    log.info("%s %s by hand (account %s)", mask(phone), "opted out" if opted_out else "opted in", acct)
    return state_data(phone, state)


def list_opted_out(caller: Caller, query: OptOutQuery) -> Page[OptOutState]:
    """Numbers opted out now, in number order; paged (skiptoken = the last number)."""
    repo = optouts_repo()
    page = paginate(lambda after: repo.list(caller.account_id, after=after),
                    key=lambda s: s.Phone, keep=lambda s: True, top=query.top or DEFAULT_PAGE,
                    token=query.skiptoken)
    return Page([state_data(s.Phone, s) for s in page.items], page.next_token)
