"""Reading received texts: the list, one text, and the polling trigger.

The polling trigger follows Power Automate's batch polling protocol: the state lives in the
``cursor`` query value of the ``Location`` we answer with, and the engine calls that URL next.
A cursor is a millisecond watermark: everything received up to it has been handed out. A poll
returns the texts after the watermark up to ``now - SETTLE`` — a text's id is stamped (one
clock) just before it is written, so waiting a few seconds before handing a millisecond out
means a slow write cannot land behind a cursor that already moved past it. The first poll
(no cursor) only sets the watermark at "now": a new flow does not replay history.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..accounts.models import Caller
from ..common.errors import NotFound, ValidationFailed
from ..common.ids import desc_floor, desc_id_ms
from ..common.paging import Page, decode_token, encode_token, paginate
from ..common.text.phones import to_e164
from ..common.text.words import first_word
from ..triggers.models import MMS, SMS
from .models import InboundMessage, PollQuery, ReceivedQuery, ReceivedText
from .receive import kind_of, message_data
from .storage import inbound_repo, now_ms

SETTLE_MS = 5_000       # texts younger than this wait for the next poll
POLL_LIMIT = 100        # texts per poll at most; the rest come with the next one
DEFAULT_PAGE = 100


@dataclass(frozen=True)
class PollResult:
    items: list[ReceivedText]
    cursor: str


def _kind(raw: str | None) -> str | None:
    if not raw:
        return None
    kind = raw.strip().lower()
    if kind not in (SMS, MMS):
        raise ValidationFailed(f"Kind: use sms or mms (got {raw[:20]!r}).", field="Kind")
    return kind


def _keep(caller: Caller, kind: str | None, phone_field: str, phone: str | None, keyword: str | None = None):  # noqa: ANN202
    number = to_e164(phone, region=caller.account.Region, field=phone_field) if phone else None
    word = first_word(keyword) if keyword else None

    def keep(m: InboundMessage) -> bool:
        return ((kind is None or kind_of(m) == kind) and (number is None or m.From == number)
                and (word is None or first_word(m.Body) == word))
    return keep


def list_received(caller: Caller, query: ReceivedQuery) -> Page[ReceivedText]:
    """Newest first, one page at a time (``NextLink`` carries the skiptoken)."""
    repo = inbound_repo()
    keep = _keep(caller, _kind(query.Kind), "From", query.From)
    page = paginate(lambda after: repo.list(caller.account_id, after_id=after), key=lambda m: m.MessageId,
                    keep=keep, top=query.top or DEFAULT_PAGE, token=query.skiptoken)
    return Page([message_data(m) for m in page.items], page.next_token)


def get_received(caller: Caller, message_id: str) -> ReceivedText:
    m = inbound_repo().get(caller.account_id, message_id) if message_id.isalnum() else None
    if m is None:
        raise NotFound(f"No received text {message_id[:40]}.", code="MessageNotFound", field="messageId")
    return message_data(m)


def _watermark(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = decode_token(cursor) or ""
    except ValidationFailed:
        raw = ""
    if not raw.isdigit():
        raise ValidationFailed("cursor is not one this service issued; start again without it.", field="cursor",
                               code="InvalidCursor")
    return int(raw)


def poll(caller: Caller, query: PollQuery) -> PollResult:
    """The texts after the cursor's watermark (oldest first, at most POLL_LIMIT), and the
    cursor for the next poll. The watermark advances even when a filter keeps nothing."""
    keep = _keep(caller, _kind(query.Kind), "FromNumber", query.FromNumber, query.Keyword)
    now = now_ms()
    settled = now - SETTLE_MS
    after = _watermark(query.cursor)
    if after is None:  # a new flow: start from now, no history
        return PollResult([], encode_token(str(now)))
    if after >= settled:
        return PollResult([], encode_token(str(after)))
    found = inbound_repo().between(caller.account_id, desc_floor(settled), desc_floor(after))
    found.sort(key=lambda m: m.MessageId, reverse=True)  # descending ids: oldest first
    upto = settled
    if len(found) > POLL_LIMIT:
        # stop at a millisecond boundary so the next poll starts exactly after what we return
        last_ms = desc_id_ms(found[POLL_LIMIT - 1].MessageId)
        found = [m for m in found if desc_id_ms(m.MessageId) <= last_ms]
        upto = last_ms
    return PollResult([message_data(m) for m in found if keep(m)], encode_token(str(upto)))

