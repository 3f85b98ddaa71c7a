"""Campaigns, their audiences, their recipients and the schedule index."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from ..common.context import repos
from ..common.storage.names import AUDIENCES, CAMPAIGNS, LINKS, RECIPIENTS, SCHEDULE
from ..common.storage.rows import (
    Op,
    StorageConflict,
    create_op,
    delete_op,
    etag_of,
    from_row,
    get_row,
    replace_op,
    retry_on_conflict,
    to_row,
    transact,
)
from ..common.storage.tables import MAX_PAGE_ROWS, TableStore, query_keys, query_prefix
from .models import (
    CANCELLED_R,
    DELIVERED,
    FAILED,
    PENDING,
    QUEUED_R,
    SENDING,
    SENDING_R,
    SENT,
    SENT_R,
    SKIPPED,
    UNDELIVERED,
    Campaign,
    Recipient,
)

DUE = "due"
NUMBERS, CONTACT_IDS = "n", "c"   # audience row kinds
# An audience this small (the characters of its values) stays on the campaign row, costing no
# extra read or write; a larger one goes to Audiences rows of comma-separated values up to
# AUDIENCE_CHUNK_CHARS each (a string property holds at most 32K UTF-16 characters, 64 KiB),
# written in transactions of AUDIENCE_ROWS_PER_BATCH (the service allows 100 and 4 MiB).
AUDIENCE_INLINE_CHARS = 8_000
AUDIENCE_CHUNK_CHARS = 30_000
AUDIENCE_ROWS_PER_BATCH = 50


def _chunks(values: Sequence[str]) -> Iterator[str]:
    start, size = 0, 0
    for i, value in enumerate(values):
        if size and size + len(value) + 1 > AUDIENCE_CHUNK_CHARS:
            yield ",".join(values[start:i])
            start, size = i, 0
        size += len(value) + 1
    if start < len(values):
        yield ",".join(values[start:])


# ---- campaign counters ----
# Counter rows live in the campaign's Recipients partition (RowKey COUNTER_PREFIX + shard, which
# sorts after every E.164 RowKey "+…"), so a write that moves recipients from one status to
# another adjusts one counter row IN THE SAME transaction: the recipient rows are ETag-guarded,
# so a transition that was already applied (a retried queue message, a duplicate receipt) fails
# or is skipped with its counter change, and nothing is counted twice. Each row holds per-status
# deltas (they may be negative); the campaign's counts are their sum, read with one
# partition-range query.
#
# COUNTER_SHARDS: a write takes the shard of its lowest recipient RowKey (a stable hash) and
# moves to the next shard when that row changed under it, so concurrent writers rarely meet on
# one row. The writers at once are the worker threads of every instance (6 per instance on 2
# cores, PYTHON_THREADPOOL_THREAD_COUNT; a few instances) plus status callbacks: with 32 shards
# two of ~20 concurrent writers share a row a few percent of the time, and a read is still one
# query of 32 small rows (a single page, ~1 ms more than one row).
COUNTER_PREFIX = "~n"
COUNTER_SHARDS = 32
COUNTS_FROZEN = -1  # Campaign.Counters of a pre-counter campaign whose counts are final on its row
COUNTED_STATUSES = (PENDING, SENDING_R, QUEUED_R, SENT_R, DELIVERED, UNDELIVERED, FAILED, SKIPPED, CANCELLED_R)
OPEN_STATUSES = frozenset({PENDING, SENDING_R})  # a campaign is Sent once none of its recipients is in these
COUNTER_ROUNDS = 8  # shard rows tried before a write that keeps losing on counters is given up on
_COUNTED_CACHE_MAX = 4096  # campaigns whose Counters this process remembers
_COUNTER_COPIES_MAX = 4096  # counter rows whose last values and ETag this process remembers


def counter_key(shard: int) -> str:
    return f"{COUNTER_PREFIX}{shard:02d}"


def shard_of(row_key: str, shards: int) -> int:
    """Stable across processes (unlike hash()): the same recipient picks the same shard on
    every instance."""
    import zlib

    return zlib.crc32(row_key.encode()) % shards


def schedule_key(send_at: datetime, campaign_id: str) -> str:
    return f"{send_at:%Y%m%dT%H%M%S}_{campaign_id}"


class CampaignRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store
        # campaign id -> Campaign.Counters as last read here. A campaign's value is fixed
        # before its first recipient exists (dispatch sets it when the campaign starts
        # Sending), so whatever a writer of recipients saw is still true.
        self._counters: dict[str, int] = {}
        # (campaign id, shard) -> that counter row's values and ETag as this process last wrote
        # or read them (see _write_counted)
        self._counter_rows: dict[tuple[str, int], tuple[dict[str, Any], str | None]] = {}

    def _t(self, name: str):  # noqa: ANN202
        return self.store.table(name)

    # ---- campaigns ----
    def get(self, acct: str, campaign_id: str) -> Campaign | None:
        row = get_row(self._t(CAMPAIGNS), acct, campaign_id)
        c = from_row(Campaign, row) if row else None
        if c is not None:
            self._remember(c)
        return c

    def _remember(self, c: Campaign) -> None:
        if len(self._counters) >= _COUNTED_CACHE_MAX:
            self._counters.clear()
        self._counters[c.CampaignId] = c.Counters

    def _shards(self, campaign_id: str, account_id: str) -> int:
        """How many counter shards the recipients' writes keep (0: none, a pre-counter campaign)."""
        if campaign_id not in self._counters:
            self.get(account_id, campaign_id)
        return max(0, self._counters.get(campaign_id, 0))

    def reload(self, c: Campaign) -> Campaign | None:
        """The campaign as stored now: the next round after a lost ETag race."""
        return self.get(c.AccountId, c.CampaignId)

    def insert(self, c: Campaign, numbers: Sequence[str] = (), contact_ids: Sequence[str] = ()) -> None:
        """Insert a new campaign with its audience: on its row when small, else in Audiences
        rows written first (the campaign row is what makes them count, so a send that dies in
        between leaves only rows nothing reads)."""
        if sum(len(v) + 3 for v in (*numbers, *contact_ids)) <= AUDIENCE_INLINE_CHARS:
            c.Numbers, c.ContactIds, c.AudienceRows = list(numbers), list(contact_ids), 0
        else:
            c.Numbers, c.ContactIds = [], []
            c.AudienceRows = self._save_audience(c.CampaignId, numbers, contact_ids)
        try:
            transact(self._t(CAMPAIGNS), [create_op(to_row(c, c.AccountId, c.CampaignId))])
        except Exception:
            if c.AudienceRows:
                self._delete_audience(c.CampaignId)
            raise

    def replace(self, c: Campaign) -> None:
        """ETag-guarded: raises StorageConflict("changed") if someone wrote first."""
        transact(self._t(CAMPAIGNS), [replace_op(to_row(c, c.AccountId, c.CampaignId), c.etag)])

    def list(self, acct: str, after_id: str | None = None, status: str | None = None) -> Iterator[Campaign]:
        flt, params = "PartitionKey eq @pk", {"pk": acct}
        if after_id:
            flt, params = flt + " and RowKey gt @after", {**params, "after": after_id}
        if status:
            flt, params = flt + " and Status eq @st", {**params, "st": status}
        for row in self._t(CAMPAIGNS).query_entities(flt, parameters=params, results_per_page=500):
            yield from_row(Campaign, row)

    # ---- audiences (PartitionKey = campaign id): numbers and contact ids, any number of them ----
    def _save_audience(self, campaign_id: str, numbers: Sequence[str], contact_ids: Sequence[str]) -> int:
        from azure.data.tables import UpdateMode

        rows = [{"PartitionKey": campaign_id, "RowKey": f"{kind}_{i:05d}", "Items": text}
                for kind, values in ((NUMBERS, numbers), (CONTACT_IDS, contact_ids))
                for i, text in enumerate(_chunks(values))]
        ops = [("upsert", row, {"mode": UpdateMode.REPLACE}) for row in rows]
        for i in range(0, len(ops), AUDIENCE_ROWS_PER_BATCH):
            transact(self._t(AUDIENCES), ops[i:i + AUDIENCE_ROWS_PER_BATCH])
        return len(rows)

    def _delete_audience(self, campaign_id: str) -> None:
        table = self._t(AUDIENCES)
        keys = [row["RowKey"] for row in table.query_entities("PartitionKey eq @pk", parameters={"pk": campaign_id},
                                                              select=["RowKey"])]
        for i in range(0, len(keys), 100):
            transact(table, [delete_op(campaign_id, rk) for rk in keys[i:i + 100]])

    def audience(self, c: Campaign, kind: str) -> Iterator[str]:
        """The campaign's numbers (``NUMBERS``) or contact ids (``CONTACT_IDS``), in the order
        given, streamed row by row."""
        yield from c.Numbers if kind == NUMBERS else c.ContactIds
        if c.AudienceRows:
            for row in query_prefix(self._t(AUDIENCES), c.CampaignId, f"{kind}_"):
                yield from (v for v in str(row.get("Items", "")).split(",") if v)

    # ---- recipients (PartitionKey = campaign id) ----
    def recipient_create_ops(self, campaign_id: str, recipients: Sequence[Recipient]) -> list[Op]:
        return [create_op(to_row(r, campaign_id, r.Phone)) for r in recipients]

    def create_recipients(self, campaign_id: str, recipients: Sequence[Recipient]) -> list[Recipient]:
        """Insert a chunk (≤ MAX_SEND_BATCH) at once, counted; on a re-run insert one by one,
        keeping rows that already exist untouched (and uncounted again). Returns the
        recipients this call created."""
        if not recipients:
            return []
        try:
            metas = self._write_counted(campaign_id, recipients[0].AccountId,
                                        self.recipient_create_ops(campaign_id, recipients),
                                        _tally(r.Status for r in recipients))
            created = [r.with_etag(m.get("etag")) for r, m in zip(recipients, metas)]
        except StorageConflict:
            created = []
            for r in recipients:
                try:
                    meta = self._write_counted(campaign_id, r.AccountId, [create_op(to_row(r, campaign_id, r.Phone))],
                                               {r.Status: 1})[0]
                    created.append(r.with_etag(meta.get("etag")))
                except StorageConflict:
                    continue
        for r in created:
            r._stored_status = r.Status
        self._settle(campaign_id, created, [None] * len(created))
        return created

    def get_recipients(self, campaign_id: str, phones: Sequence[str]) -> list[Recipient]:
        """Rows for a batch of phones (OR-filter queries, not a read per phone)."""
        return [from_row(Recipient, row) for row in query_keys(self._t(RECIPIENTS), campaign_id, phones)]

    def get_recipient(self, campaign_id: str, phone: str) -> Recipient | None:
        row = get_row(self._t(RECIPIENTS), campaign_id, phone)
        return from_row(Recipient, row) if row else None

    def replace_recipients(self, campaign_id: str, rows: Sequence[Recipient]) -> list[dict[str, Any]]:
        """Write the recipients in one transaction, each guarded by its ETag (StorageConflict
        when any changed), with the counter change of their status moves (from the status each
        was read with); returns each row's new ETag, in order (``[{"etag": ...}, ...]``). A
        write that leaves no recipient pending or sending finishes the campaign."""
        if not rows:
            return []
        before = [r._stored_status for r in rows]
        moves: dict[str, int] = {}
        for r, was in zip(rows, before):
            if was != r.Status:
                if was is not None:
                    moves[was] = moves.get(was, 0) - 1
                moves[r.Status] = moves.get(r.Status, 0) + 1
        metas = self._write_counted(campaign_id, rows[0].AccountId,
                                    [replace_op(to_row(r, campaign_id, r.Phone), r.etag) for r in rows], moves)
        for r in rows:
            r._stored_status = r.Status
        self._settle(campaign_id, rows, before)
        return metas

    # ---- counters ----
    def _write_counted(self, campaign_id: str, account_id: str, ops: list[Op],
                       moves: dict[str, int]) -> list[dict[str, Any]]:
        """``ops`` on recipient rows plus, in the same transaction, ``moves`` (status -> change)
        added to one counter shard, ETag-guarded. A lost race on the counter row alone is
        retried (on the same shard when only this process's copy of it was stale, else on the
        next); a lost race on a recipient row raises StorageConflict.

        The shard row as this process last wrote or read it is kept, so a send batch's writes
        after dispatch stored it (same lowest recipient, same shard) need no read of it first: one call
        a write instead of two. A stale copy costs one failed transaction and a read, as the read
        before every write would have cost anyway."""
        table = self._t(RECIPIENTS)
        moves = {k: v for k, v in moves.items() if v}
        shards = self._shards(campaign_id, account_id) if moves else 0
        if not shards:
            return transact(table, ops)
        # the lowest RowKey: dispatch writes a chunk in its sources' order and send reads it back
        # sorted, and both land on the same shard (whose row this process may have kept)
        shard = shard_of(min(str(op[1]["RowKey"]) for op in ops), shards)
        current = self._counter_rows.get((campaign_id, shard))
        maybe_stale = current is not None  # our own copy, not read just now
        if current is None:
            current = self._read_counter(campaign_id, shard)
        for _ in range(COUNTER_ROUNDS):
            values, etag = current or ({}, None)
            row = {"PartitionKey": campaign_id, "RowKey": counter_key(shard),
                   **{s: int(values.get(s, 0)) + moves.get(s, 0) for s in COUNTED_STATUSES}}
            counter = replace_op(row, etag) if current is not None else create_op(row)
            try:
                metas = transact(table, [*ops, counter])
            except StorageConflict:
                again = self._read_counter(campaign_id, shard)
                if (again or ({}, None))[1] == etag:
                    raise  # the counter row is as we had it: a recipient row changed
                if maybe_stale:  # only our copy was out of date: once more on this shard, as it is now
                    current, maybe_stale = again, False
                    continue
                shard = (shard + 1) % shards
                current = self._read_counter(campaign_id, shard)
                continue
            self._keep_counter(campaign_id, shard, row, metas[-1].get("etag"))
            return metas[:-1]
        raise StorageConflict("changed")

    def _read_counter(self, campaign_id: str, shard: int) -> tuple[dict[str, Any], str | None] | None:
        row = get_row(self._t(RECIPIENTS), campaign_id, counter_key(shard))
        if row is None:
            self._counter_rows.pop((campaign_id, shard), None)
            return None
        copy = (dict(row), etag_of(row))
        self._keep_counter(campaign_id, shard, *copy)
        return copy

    def _keep_counter(self, campaign_id: str, shard: int, values: dict[str, Any], etag: str | None) -> None:
        if len(self._counter_rows) >= _COUNTER_COPIES_MAX:
            self._counter_rows.clear()
        self._counter_rows[(campaign_id, shard)] = (values, etag)

    def counts(self, campaign_id: str) -> dict[str, int]:
        """Recipients per status: the sum of the campaign's counter shards (one query)."""
        totals = dict.fromkeys(COUNTED_STATUSES, 0)
        for row in self._t(RECIPIENTS).query_entities(
                "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
                parameters={"pk": campaign_id, "lo": COUNTER_PREFIX, "hi": COUNTER_PREFIX + "~"},
                select=list(COUNTED_STATUSES)):
            for s in COUNTED_STATUSES:
                totals[s] += int(row.get(s, 0) or 0)
        return totals

    def _settle(self, campaign_id: str, rows: Sequence[Recipient], before: Sequence[str | None]) -> None:
        """After a write that moved recipients out of pending/sending: the campaign is Sent if
        that was the last of them."""
        if not rows or not self._shards(campaign_id, rows[0].AccountId):
            return
        if any(r.Status not in OPEN_STATUSES and (was is None or was in OPEN_STATUSES)
               for r, was in zip(rows, before)):
            from ..common.clock import utcnow

            self.complete_if_done(rows[0].AccountId, campaign_id, utcnow())

    def complete_if_done(self, acct: str, campaign_id: str, at: datetime) -> Campaign | None:
        """Mark the campaign Sent (CompletedAt = ``at``) when dispatch has stored its whole
        audience and its counters say nobody is pending or sending. Run by each writer that
        may have made the last move and by dispatch's completion — whichever comes last sees
        both (each writes before it reads). Returns the campaign when this call finished it."""
        counts = self.counts(campaign_id)
        if any(counts[s] for s in OPEN_STATUSES):
            return None

        def attempt() -> Campaign | None:
            c = self.get(acct, campaign_id)
            if c is None or c.Status != SENDING or c.DispatchCompletedAt is None:
                return None
            if sum(counts.values()) < c.DispatchedCount:
                return None
            apply_counts(c, counts)
            c.Status, c.CompletedAt = SENT, at
            self.replace(c)
            return c

        return retry_on_conflict(attempt, gave_up=lambda: None)

    def list_recipients(self, campaign_id: str, after: str | None = None,
                        select: list[str] | None = None, page_rows: int = MAX_PAGE_ROWS) -> Iterator[Any]:
        """The recipient rows (never the counter rows), in RowKey order; ``page_rows`` per
        request (fewer when the caller stops after a page of them)."""
        flt, params = "PartitionKey eq @pk and RowKey lt @counters", {"pk": campaign_id, "counters": COUNTER_PREFIX}
        if after:
            flt, params = flt + " and RowKey gt @after", {**params, "after": after}
        rows = self._t(RECIPIENTS).query_entities(flt, parameters=params, select=select,
                                                  results_per_page=max(1, min(page_rows, MAX_PAGE_ROWS)))
        for row in rows:
            yield row if select else from_row(Recipient, row)

    # ---- schedule index: campaigns not yet dispatched ----
    def schedule(self, c: Campaign, enqueued: bool) -> None:
        row = {"PartitionKey": DUE, "RowKey": schedule_key(c.SendDate, c.CampaignId), "AccountId": c.AccountId,
               "CampaignId": c.CampaignId, "Version": c.Version, "SendAt": c.SendDate, "Enqueued": enqueued}
        from azure.data.tables import UpdateMode

        self._t(SCHEDULE).upsert_entity(row, mode=UpdateMode.REPLACE)

    def unschedule(self, c: Campaign) -> None:
        try:
            transact(self._t(SCHEDULE), [delete_op(DUE, schedule_key(c.SendDate, c.CampaignId))])
        except StorageConflict:
            pass

    def due(self, before: datetime) -> Iterator[dict[str, Any]]:
        yield from self._t(SCHEDULE).query_entities(
            "PartitionKey eq @pk and RowKey lt @before",
            parameters={"pk": DUE, "before": f"{before:%Y%m%dT%H%M%S}~"})

    def mark_schedule(self, row: dict[str, Any], **fields: Any) -> None:
        from azure.data.tables import UpdateMode

        self._t(SCHEDULE).update_entity({"PartitionKey": DUE, "RowKey": row["RowKey"], **fields},
                                        mode=UpdateMode.MERGE)


def _tally(statuses: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in statuses:
        out[s] = out.get(s, 0) + 1
    return out


def apply_counts(c: Campaign, counts: dict[str, int]) -> bool:
    """Set the campaign's counter fields from recipients per status; True when any changed."""
    new = dict(Reach=sum(counts.values()) - counts[SKIPPED] - counts[CANCELLED_R],
               SentCount=sum(counts[s] for s in (QUEUED_R, SENT_R, DELIVERED, UNDELIVERED)),
               DeliveredCount=counts[DELIVERED], UndeliveredCount=counts[UNDELIVERED] + counts[FAILED],
               FailedCount=counts[FAILED], SkippedCount=counts[SKIPPED],
               PendingCount=counts[PENDING] + counts[SENDING_R])
    changed = any(getattr(c, k) != v for k, v in new.items())
    for k, v in new.items():
        setattr(c, k, v)
    return changed


def campaigns_repo() -> CampaignRepository:
    return repos().get(CampaignRepository)


class LinkRepository:
    """Tracked review links, PartitionKey = the short code (the link must resolve without an
    account: a recipient's browser follows it)."""

    def __init__(self, store: TableStore) -> None:
        self.store = store

    @property
    def table(self):  # noqa: ANN201 - TableClient, imported lazily
        return self.store.table(LINKS)

    def get(self, code: str) -> Any | None:
        return get_row(self.table, code, "") if code else None

    def insert(self, code: str, fields: dict[str, Any]) -> None:
        """StorageConflict("exists") when the code is taken."""
        transact(self.table, [create_op({"PartitionKey": code, "RowKey": "", **fields})])

    def count_click(self, row: Any, at: datetime) -> None:
        """One more click, ETag-guarded (StorageConflict when another click was counted first)."""
        updated = {**dict(row), "Clicks": int(row.get("Clicks", 0)) + 1, "LastClickAt": at}
        transact(self.table, [replace_op(updated, row.metadata["etag"])])


def links_repo() -> LinkRepository:
    return repos().get(LinkRepository)
