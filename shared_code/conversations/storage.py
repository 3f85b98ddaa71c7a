"""The Conversations table, one partition per account (so a batch of texts and their threads'
summaries is one transaction, and no query crosses tenants):

- ``m_<number>_<desc time>_<message id>``  a text of the number's thread, newest first
- ``a_<desc time>_<number>_<message id>``  the account's activity, newest first, each with the
                                           text's preview: the inbox is one query of these
- ``t_<number>``                           the thread's summary (last text, contact's name)
- ``u_<number>``                           its unread count, only while there are unread texts
                                           (a page reads those of the threads it shows)

A text's keys come from its own time and id, so writing it twice writes the same rows."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..common.clock import utcnow
from ..common.context import repos
from ..common.ids import new_desc_id
from ..common.storage.names import CONVERSATIONS
from ..common.storage.rows import (
    MAX_TRANSACTION_OPS,
    StorageConflict,
    create_op,
    from_row,
    get_row,
    merge_op,
    replace_op,
    retry_on_conflict,
    to_row,
    transact,
)
from ..common.storage.tables import MAX_PAGE_ROWS, TableStore, prefix_end, query_prefix, query_ranges_pages
from .models import MAX_PREVIEW_CHARS, ConversationText, ConversationThread

log = logging.getLogger("powertextor.conversations")
MSG, ACTIVITY, THREAD, UNREAD = "m_", "a_", "t_", "u_"
TEXT_KEY = re.compile(r"m_\+\d{1,15}_[0-9A-Z]{10}_[0-9A-Za-z-]{1,100}")  # what text_key makes
ACTIVITY_SCAN_ROWS = 400  # activity rows past its start an inbox page reads at most to find its threads
RECEIVE_ROUNDS = 5        # rounds a thread's unread count races other writers
TEXT_READS = 8            # texts a retried group checks side by side ("stored already?")
KEY_READS = 8             # rows a page reads side by side by key (unread counts, summaries)
UNREAD_COPIES_MAX = 4096  # unread counts a process keeps as it last wrote them (then it starts afresh)
# the spans of the account's activity the inbox reads in turn, newest first, before the rest: a
# page of a busy account is found in the first; a quiet one costs a few more small queries
ACTIVITY_WINDOWS = (timedelta(hours=1), timedelta(days=1), timedelta(days=30))


def stamp(at: datetime) -> str:
    """The time part of a descending id: keys sort newest first."""
    return new_desc_id(int(at.timestamp() * 1000))[:10]


def message_key(t: ConversationText) -> str:
    return text_key(t.Number, t.At, t.MessageId)


def text_key(number: str, at: datetime, message_id: str) -> str:
    """The row of a thread's text: known before the text is written (a reply's status
    callback URL carries it)."""
    return f"{MSG}{number}_{stamp(at)}_{message_id}"


def activity_key(t: ConversationText) -> str:
    return f"{ACTIVITY}{stamp(t.At)}_{t.Number}_{t.MessageId}"


def _upsert(entity: dict[str, Any], merge: bool = False) -> tuple:
    from azure.data.tables import UpdateMode

    return ("upsert", entity, {"mode": UpdateMode.MERGE if merge else UpdateMode.REPLACE})


def _summary(t: ConversationText) -> dict[str, Any]:
    out = {"Number": t.Number, "LastAt": t.At, "LastBody": t.Body[:MAX_PREVIEW_CHARS], "LastDirection": t.Direction}
    if t.ContactName:
        out["ContactName"] = t.ContactName
    return out


def _received_ops_count(texts: int) -> int:
    """Operations one sender's received texts take: two a text, its count and its summary."""
    return texts * 2 + 2


def _activity(acct: str, t: ConversationText) -> tuple:
    return _upsert({"PartitionKey": acct, "RowKey": activity_key(t), **_summary(t)})


Count = tuple[int, str]  # an unread count and its row's ETag


def _count_of(row: Any) -> Count | None:
    return (int(row["Unread"]), row.metadata["etag"]) if row is not None else None


class ConversationRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store
        # (account, number) -> the unread count as this process last wrote it: the next text of
        # that number replaces it by ETag without reading it (a stale copy fails the write, and
        # the counts are read then)
        self._counts: dict[tuple[str, str], Count] = {}

    @property
    def table(self):  # noqa: ANN201 - TableClient, imported lazily
        return self.store.table(CONVERSATIONS)

    # -- writes ---------------------------------------------------------------------------------
    def add_sent(self, acct: str, texts: Sequence[ConversationText]) -> None:
        """Sent texts (each number once): text, activity and summary rows, upserts in
        transactions of up to 100 operations; the summary is merged, so an unread count
        another writer keeps is left alone."""
        ops: list[tuple] = []
        for t in texts:
            ops.append(_upsert(to_row(t, acct, message_key(t))))
            ops.append(_activity(acct, t))
            ops.append(_upsert({"PartitionKey": acct, "RowKey": THREAD + t.Number, **_summary(t)}, merge=True))
        step = MAX_TRANSACTION_OPS - MAX_TRANSACTION_OPS % 3
        for i in range(0, len(ops), step):
            transact(self.table, ops[i:i + step])

    def add_received(self, acct: str, by_number: dict[str, Sequence[ConversationText]]) -> int:
        """Received texts, by sender: the texts created if absent and each thread's unread
        count raised by its texts that were new, ETag-guarded — a retried queue message finds
        its texts there and counts nothing twice. Returns how many were new.

        Senders whose rows fit one transaction are written together, first without reading
        anything: a count this process wrote last is replaced by its ETag, and a sender it
        knows no count of is taken to have none (a new thread, or one read since its last
        text — reading a thread deletes its count), so the transaction creates it. It fails
        whole if a count is there or has moved, or a text is stored already. Then the counts
        are read side by side by key and the group written again; a group that loses again
        (texts stored already by an earlier run, a count that moved) goes sender by sender."""
        groups = {n: list(t) for n, t in by_number.items() if t}
        total = sum(len(t) for t in groups.values())
        if sum(_received_ops_count(len(t)) for t in groups.values()) <= MAX_TRANSACTION_OPS:
            if self._write_received(acct, groups, {n: self._counts.get((acct, n)) for n in groups}):
                return total
            if len(groups) > 1:
                found = {r["RowKey"]: r for r in self._by_key(acct, [UNREAD + n for n in groups])}
                if self._write_received(acct, groups, {n: _count_of(found.get(UNREAD + n)) for n in groups}):
                    return total
        return sum(self._add_received_one(acct, n, texts) for n, texts in groups.items())

    def _write_received(self, acct: str, groups: dict[str, list[ConversationText]],
                        counts: dict[str, Count | None]) -> bool:
        """One transaction of these senders' rows, their counts raised from ``counts``; False
        when it lost (nothing written)."""
        ops: list[tuple] = []
        first: dict[str, int] = {}
        for n, texts in groups.items():
            first[n] = len(ops)
            ops += self._received_ops(acct, n, texts, counts.get(n))
        try:
            metas = transact(self.table, ops)
        except StorageConflict:
            for n in groups:
                self._counts.pop((acct, n), None)
            return False
        for n, i in first.items():
            self._keep_count(acct, n, ops[i][1]["Unread"], metas[i].get("etag"))
        return True

    def _keep_count(self, acct: str, number: str, unread: int, etag: str | None) -> None:
        if etag is None:
            return
        if len(self._counts) >= UNREAD_COPIES_MAX:
            self._counts.clear()
        self._counts[(acct, number)] = (unread, etag)

    def _received_ops(self, acct: str, number: str, todo: Sequence[ConversationText], unread: Count | None) -> list[tuple]:
        """One sender's rows: its unread count (created, or replaced if unchanged since read),
        each text created, the activity rows and the thread's summary."""
        newest = max(todo, key=lambda t: t.At)
        # the count first: a reader that catches the batch half-applied (Azure applies it
        # at once; an emulator may not) sees no thread before its unread count
        count = {"PartitionKey": acct, "RowKey": UNREAD + number, "Number": number,
                 "Unread": (unread[0] if unread else 0) + len(todo)}
        ops: list[tuple] = [create_op(count) if unread is None else replace_op(count, unread[1])]
        for t in todo:
            ops.append(create_op(to_row(t, acct, message_key(t))))
            ops.append(_activity(acct, t))
        ops.append(_upsert({"PartitionKey": acct, "RowKey": THREAD + number, **_summary(newest)}, merge=True))
        return ops

    def _add_received_one(self, acct: str, number: str, texts: Sequence[ConversationText]) -> int:
        def attempt(todo: list[ConversationText]) -> int:
            if not todo:
                return 0
            if not self._write_received(acct, {number: todo},
                                        {number: _count_of(get_row(self.table, acct, UNREAD + number))}):
                raise StorageConflict("changed")
            return len(todo)

        def unseen(todo: list[ConversationText]) -> list[ConversationText]:
            from ..common.fanout import map_concurrently

            found = map_concurrently(lambda t: get_row(self.table, acct, message_key(t)), todo, TEXT_READS)
            return [t for t, row in zip(todo, found) if row is None]

        first = unseen(list(texts)) if _received_ops_count(len(texts)) > MAX_TRANSACTION_OPS else list(texts)
        if _received_ops_count(len(first)) > MAX_TRANSACTION_OPS:  # a flood from one number: in slices
            half = (MAX_TRANSACTION_OPS - 2) // 2
            return sum(self._add_received_one(acct, number, first[i:i + half]) for i in range(0, len(first), half))
        return retry_on_conflict(attempt, first=first, reread=lambda todo: unseen(todo) or None,
                                 tries=RECEIVE_ROUNDS, gave_up=lambda: 0) or 0

    def mark_read(self, acct: str, number: str) -> None:
        """The thread was looked at: no unread texts (a text arriving meanwhile finds the count
        gone and starts it again)."""
        self._counts.pop((acct, number), None)
        self.table.delete_entity(acct, UNREAD + number)  # a missing row is no error here

    # -- reads ----------------------------------------------------------------------------------
    def _by_key(self, acct: str, row_keys: list[str]) -> list[Any]:
        """These rows of the account's partition that exist, read side by side by key: an
        OR filter of RowKeys is a partition scan in Table Storage (and in Azurite), and this
        partition holds every text of the account."""
        from ..common.fanout import map_concurrently

        return [row for row in map_concurrently(lambda rk: get_row(self.table, acct, rk), row_keys, KEY_READS) if row]

    def unread(self, acct: str, numbers: Iterable[str]) -> dict[str, int]:
        """Unread counts of these threads (the ones a page shows; those without any are left
        out), however many threads of the account have unread texts."""
        return {r["Number"]: int(r["Unread"]) for r in self._by_key(acct, [UNREAD + n for n in dict.fromkeys(numbers)])}

    def thread(self, acct: str, number: str) -> ConversationThread | None:
        row = get_row(self.table, acct, THREAD + number)
        if row is None:
            return None
        unread = get_row(self.table, acct, UNREAD + number)
        return from_row(ConversationThread, row).model_copy(update={"Unread": int(unread["Unread"]) if unread else 0})

    def threads(self, acct: str, numbers: Sequence[str]) -> list[ConversationThread]:
        """The summaries of these numbers' threads (those that exist)."""
        return [from_row(ConversationThread, row) for row in self._by_key(acct, [THREAD + n for n in dict.fromkeys(numbers)])]

    def numbers_starting(self, acct: str, prefix: str, top: int) -> list[str]:
        """Up to ``top`` thread numbers that begin with ``prefix`` (one range query)."""
        out = []
        for row in query_prefix(self.table, acct, THREAD + prefix, select=["Number"], page_rows=top):
            out.append(row["Number"])
            if len(out) == top:
                break
        return out

    def recent(self, acct: str, top: int, after: str | None = None) -> tuple[list[ConversationThread], str | None]:
        """The threads with the newest texts, newest first, at most ``top``, continuing past the
        activity row ``after`` (where the previous page ended); and the row the next page
        continues from (None when no older thread is left).

        Each number's first activity row is its latest text, so one query from the newest row
        does it: the rows up to ``after`` only say which numbers earlier pages listed (or a
        newer text moved up there), the rows past it give this page's threads. Whether an
        older thread is left is told from the rows the query fetched anyway (no request for
        that alone): when they hold none but more rows follow, the next page is offered, and
        may turn out empty (the last one only). The query goes window by window
        (``ACTIVITY_WINDOWS``), so the service sorts only the newest rows for a first page
        (see ``query_ranges_pages``). Once a page has a thread, it reads at most
        ``ACTIVITY_SCAN_ROWS`` rows past ``after`` (a number busier than that ends it early,
        and the next page goes on from the last row read)."""
        seen: set[str] = set()
        out: list[ConversationThread] = []
        last, scanned = None, 0
        now = utcnow()
        bounds = [ACTIVITY, *(ACTIVITY + stamp(now - span) for span in ACTIVITY_WINDOWS), prefix_end(ACTIVITY)]
        for rows, more in query_ranges_pages(self.table, acct, bounds, MAX_PAGE_ROWS if after else top * 4):
            for row in rows:
                key, number = row["RowKey"], row["Number"]
                if after is not None and key <= after:
                    seen.add(number)
                    continue
                scanned += 1
                if number in seen:
                    continue
                if len(out) == top:  # an older thread: the next page starts after this page's last
                    return out, last
                seen.add(number)
                out.append(from_row(ConversationThread, row))
                last = key
            if not more:
                return out, None
            if len(out) == top:
                return out, last
            if out and scanned >= ACTIVITY_SCAN_ROWS:
                return out, rows[-1]["RowKey"]
        return out, None

    def texts(self, acct: str, number: str, top: int) -> list[ConversationText]:
        """The newest ``top`` texts of a thread, newest first."""
        out = []
        for row in query_prefix(self.table, acct, f"{MSG}{number}_", page_rows=top):
            out.append(from_row(ConversationText, row))
            if len(out) == top:
                break
        return out

    def advance_status(self, acct: str, key: str, status: str, error_code: str, rank: dict[str, int]) -> bool:
        """A sent text's delivery receipt: its status moves forward only (by ``rank``), never
        back — a late "sent" leaves "delivered". ETag-guarded against a concurrent receipt.
        False when the text is unknown (or no sent text of this account) or the receipt is old."""
        from .models import OUT

        if not (acct.isalnum() and TEXT_KEY.fullmatch(key)):
            return False

        def attempt() -> bool:
            row = get_row(self.table, acct, key)
            if row is None or row.get("Direction") != OUT or rank.get(status, 0) <= rank.get(row.get("Status", ""), 0):
                return False
            change = {"PartitionKey": acct, "RowKey": key, "Status": status}
            if error_code:
                change["ErrorCode"] = error_code
            transact(self.table, [merge_op(change, row.metadata["etag"])])
            return True

        return retry_on_conflict(attempt, gave_up=lambda: False)

    def refresh_status(self, acct: str, texts: Sequence[ConversationText]) -> None:
        """Write back statuses a caller re-read (merge: only the status fields)."""
        from azure.data.tables import UpdateMode

        for t in texts:
            try:
                self.table.update_entity({"PartitionKey": acct, "RowKey": message_key(t), "Status": t.Status,
                                          "ErrorCode": t.ErrorCode, "ErrorMessage": t.ErrorMessage},
                                         mode=UpdateMode.MERGE)
            except Exception:  # noqa: BLE001 - a cache of the recipient's status; the next view re-reads it
                log.debug("could not refresh a text's status", exc_info=True)


def conversations_repo() -> ConversationRepository:
    return repos().get(ConversationRepository)
