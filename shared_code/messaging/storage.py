"""Campaigns, their audiences, their recipients and the schedule index."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from ..common.context import repos
from ..common.storage.names import AUDIENCES, CAMPAIGNS, LINKS, RECIPIENTS, SCHEDULE
from ..common.storage.rows import (
    Op,
    StorageConflict,
    create_op,
    delete_op,
    from_row,
    get_row,
    replace_op,
    to_row,
    transact,
)
from ..common.storage.tables import TableStore, query_keys, query_prefix
from .models import Campaign, Recipient

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


def schedule_key(send_at: datetime, campaign_id: str) -> str:
    return f"{send_at:%Y%m%dT%H%M%S}_{campaign_id}"


class CampaignRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store

    def _t(self, name: str):  # noqa: ANN202
        return self.store.table(name)

    # ---- campaigns ----
    def get(self, acct: str, campaign_id: str) -> Campaign | None:
        row = get_row(self._t(CAMPAIGNS), acct, campaign_id)
        return from_row(Campaign, row) if row else None

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
        """Insert a chunk (≤ 100) at once; on a re-run insert one by one, keeping rows that
        already exist untouched. Returns the recipients this call created."""
        table = self._t(RECIPIENTS)
        try:
            transact(table, self.recipient_create_ops(campaign_id, recipients))
            return list(recipients)
        except StorageConflict:
            pass
        created = []
        for r in recipients:
            try:
                transact(table, [create_op(to_row(r, campaign_id, r.Phone))])
                created.append(r)
            except StorageConflict:
                continue
        return created

    def get_recipients(self, campaign_id: str, phones: Sequence[str]) -> list[Recipient]:
        """Rows for a batch of phones (OR-filter queries, not a read per phone)."""
        return [from_row(Recipient, row) for row in query_keys(self._t(RECIPIENTS), campaign_id, phones)]

    def get_recipient(self, campaign_id: str, phone: str) -> Recipient | None:
        row = get_row(self._t(RECIPIENTS), campaign_id, phone)
        return from_row(Recipient, row) if row else None

    def replace_recipients(self, campaign_id: str, rows: Sequence[Recipient]) -> list[dict[str, Any]]:
        """Write the recipients in one transaction, each guarded by its ETag (StorageConflict
        when any changed); returns each row's new ETag, in order (``[{"etag": ...}, ...]``)."""
        return transact(self._t(RECIPIENTS), [replace_op(to_row(r, campaign_id, r.Phone), r.etag) for r in rows])

    def list_recipients(self, campaign_id: str, after: str | None = None,
                        select: list[str] | None = None) -> Iterator[Any]:
        flt, params = "PartitionKey eq @pk", {"pk": campaign_id}
        if after:
            flt, params = flt + " and RowKey gt @after", {**params, "after": after}
        rows = self._t(RECIPIENTS).query_entities(flt, parameters=params, select=select, results_per_page=1000)
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
