"""``dispatch``: expand a due campaign into Recipients and queue ``send`` batches.

Safe to run twice: a recipient row is created once (insert-if-absent), and a send batch
queued again only finds recipients already past ``pending``. Its end is recorded on the campaign
(``DispatchCompletedAt``) once every chunk is stored and queued: a run that died half-way leaves
the campaign unfinished (never Sent on a partial audience) until a retried run completes it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from itertools import batched

from ..addressbook.storage import address_book_repo
from ..common.clock import utcnow
from ..common.context import repos
from ..common.queue_messages import fits
from ..common.text.phones import PhoneSet
from ..common.storage.rows import retry_on_conflict
from ..inbound.storage import optouts_repo
from .models import (
    CANCELLED,
    MAX_SEND_BATCH,
    NOT_DISPATCHED,
    PENDING,
    SENDING,
    SKIPPED,
    Campaign,
    Recipient,
    SendMessage,
    StoredRecipient,
)
from .storage import CONTACT_IDS, COUNTER_SHARDS, NUMBERS, campaigns_repo

log = logging.getLogger("powertextor.dispatch")
CHUNK = MAX_SEND_BATCH  # one table transaction (with its counter row), one send message
CONTACT_BATCH = 5_000  # contact ids looked up together


def _sources(c: Campaign) -> Iterator[tuple[str, str, str]]:
    """(phone, contact id, name) for every recipient source: the stored audience and the
    groups streamed page by page; contacts looked up a batch at a time (one deleted since the
    send was made is skipped), and numbers tied to the account's contact of that number by the
    phone index, a chunk at a time."""
    book, store = address_book_repo(), campaigns_repo()
    for phones in batched(store.audience(c, NUMBERS), CHUNK):  # a bare number of a contact shows that contact
        found = book.contacts_for_phones(c.AccountId, phones)
        for phone in phones:
            yield phone, *found.get(phone, ("", ""))
    for ids in batched(store.audience(c, CONTACT_IDS), CONTACT_BATCH):
        found = book.get_contacts(c.AccountId, ids)
        for contact in (found[i] for i in ids if i in found):
            yield contact.Phone, contact.ContactId, contact.full_name
    for group_id in c.GroupIds:
        for member in book.list_members(c.AccountId, group_id):
            yield member.Phone, member.ContactId, member.Name


def dispatch(account_id: str, campaign_id: str, version: int) -> str:
    """Returns what happened (for the log line): dispatched, stale, cancelled, missing."""
    store = campaigns_repo()
    c = store.get(account_id, campaign_id)
    if c is None:
        return "missing"
    if c.Status == CANCELLED:
        store.unschedule(c)
        return "cancelled"
    if c.Version != version:
        return "stale"  # rescheduled: a newer dispatch message exists
    if c.DispatchCompletedAt is not None:
        store.unschedule(c)
        return "done"  # a repeated message: every recipient is stored and queued already
    now = utcnow()
    if c.SendDate > now and (c.SendDate - now).total_seconds() > 2:
        return "early"  # a lost-dispatch re-queue raced a reschedule; the right message will fire
    if c.Status in NOT_DISPATCHED:
        c = _mark_sending(c, now)
        if c is None:
            return "cancelled"
    opted_out = optouts_repo().all_opted_out(account_id)  # send checks again, just before texting
    seen = PhoneSet()
    chunk: list[Recipient] = []
    pending = 0
    for phone, contact_id, name in _sources(c):
        if not seen.add(phone):
            continue
        status = SKIPPED if phone in opted_out else PENDING
        pending += status == PENDING
        chunk.append(Recipient(Phone=phone, AccountId=account_id, ContactId=contact_id, Name=name, Status=status,
                               ErrorCode="OptedOut" if status == SKIPPED else "", UpdatedAt=now))
        if len(chunk) == CHUNK:
            _flush(c, chunk)
            chunk = []
    _flush(c, chunk)
    _record_completion(c, len(seen), utcnow(), nothing_to_send=not pending)
    store.unschedule(c)
    log.info("campaign %s dispatched: %d recipients", campaign_id, len(seen))
    return "dispatched"


def _mark_sending(c: Campaign, now: datetime) -> Campaign | None:
    """Move a campaign into SENDING (None: it was cancelled, or vanished, meanwhile)."""
    store = campaigns_repo()

    def attempt(c: Campaign) -> Campaign | None:
        if c.Status == CANCELLED:
            return None
        if c.Status not in NOT_DISPATCHED:
            return c
        # no recipient exists yet, so every write of one from now on keeps the counter rows
        c.Status, c.DispatchedAt, c.Counters = SENDING, now, COUNTER_SHARDS
        store.replace(c)
        return store.reload(c) or c

    return retry_on_conflict(attempt, first=c, reread=store.reload, gave_up=lambda: store.reload(c))


def _record_completion(c: Campaign, count: int, now: datetime, *, nothing_to_send: bool) -> None:
    """Dispatch is complete: written once (a re-run keeps the first record), ETag-guarded
    against concurrent counter refreshes. With nobody to text (an empty group, unknown contact
    ids, everyone opted out) no send batch will ever run, so the campaign is finished here.
    A campaign that keeps changing raises StorageConflict: the message is retried, and the
    re-run completes it."""
    store = campaigns_repo()

    def attempt(c: Campaign) -> bool:
        if c.DispatchCompletedAt is None:
            c.DispatchCompletedAt, c.DispatchedCount = now, count
            store.replace(c)
        return True

    if retry_on_conflict(attempt, first=c, reread=store.reload) is None:
        return  # the campaign vanished meanwhile
    if c.Counters > 0:
        # the last send batch may have finished before this record: then it is Sent here
        store.complete_if_done(c.AccountId, c.CampaignId, now)
        return
    if nothing_to_send:
        from .campaigns import refresh_counts

        fresh = store.reload(c)
        if fresh is not None:
            refresh_counts(fresh)


def _flush(c: Campaign, chunk: list[Recipient]) -> None:
    if not chunk:
        return
    created = campaigns_repo().create_recipients(c.CampaignId, chunk)
    # Queue every pending phone of the chunk, also ones created by an earlier run: send skips
    # the ones already past pending, so a re-run loses no one and texts no one twice.
    pending = [r for r in chunk if r.Status == PENDING]
    if pending:
        repos().queues.put(_send_message(c, pending, fresh=len(created) == len(chunk)))


def _send_message(c: Campaign, pending: list[Recipient], *, fresh: bool) -> SendMessage:
    """The chunk's send message, with the rows as stored when this run created all of them
    (their ETags known) and they fit in one queue message; else the phones alone, and send
    reads the rows."""
    message = SendMessage(account_id=c.AccountId, campaign_id=c.CampaignId, phones=[r.Phone for r in pending])
    if not fresh or not all(r.etag for r in pending):
        return message
    with_rows = message.model_copy(update={
        "stored": [StoredRecipient(etag=r.etag, contact_id=r.ContactId, name=r.Name) for r in pending],  # type: ignore[arg-type]
        "stored_at": pending[0].UpdatedAt})
    return with_rows if fits(with_rows) else message
