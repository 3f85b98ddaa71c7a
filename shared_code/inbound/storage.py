"""Received texts and opt-outs (state + audit).

Every row's PartitionKey is the account id, so no query can cross tenants. Received texts and
audit rows use descending ids (``ids.new_desc_id``) so a partition scan lists the newest first;
their time part comes from the one clock (``clock.utcnow``), so the polling trigger's cursor
arithmetic and the ids agree even under a test clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..common.clock import utcnow
from ..common.context import repos
from ..common.ids import new_desc_id
from ..common.storage.names import INBOUND, OPT_OUT_LOG, OPT_OUTS
from ..common.storage.rows import (MAX_TRANSACTION_OPS, StorageConflict, create_op, from_row, get_row, insert_if_absent,
                                   replace_op, to_row, transact)
from ..common.storage.tables import TableStore, query_prefix
from .models import InboundMessage, OptOut, OptOutEvent

MSG, SID = "m_", "sid_"


def now_ms() -> int:
    """The one clock's millisecond: ids made here and cursors computed from it must agree."""
    return int(utcnow().timestamp() * 1000)


def new_row_id() -> str:
    """A descending id stamped with the one clock's time (newest first in a partition scan)."""
    return new_desc_id(now_ms())


class InboundRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store

    @property
    def table(self):  # noqa: ANN201
        return self.store.table(INBOUND)

    def insert_once(self, m: InboundMessage) -> tuple[InboundMessage, bool]:
        """Store a text unless its MessageSid is known: returns (the stored text, created).

        The MessageSid index row is created first and names the text's id; the text row
        follows. Two single-row writes, not a transaction: a batch costs about twice the CPU
        (multipart encoding and parsing) on the path every received text takes. A run that
        died between them left the index behind: the next run writes the text under the id
        the index holds, so a text is never stored twice nor lost."""
        from azure.core.exceptions import ResourceExistsError

        sid_key = SID + m.MessageSid
        try:
            self.table.create_entity({"PartitionKey": m.AccountId, "RowKey": sid_key, "MessageId": m.MessageId})
        except ResourceExistsError:
            index = get_row(self.table, m.AccountId, sid_key)
            if index is None:  # deleted meanwhile (not something we do): treat as new
                raise StorageConflict("changed") from None
            existing = self.get(m.AccountId, str(index["MessageId"]))
            if existing is not None:
                return existing, False
            m = m.model_copy(update={"MessageId": str(index["MessageId"])})
        self.table.upsert_entity(to_row(m, m.AccountId, MSG + m.MessageId))
        return m, True

    def insert_many(self, texts: list[InboundMessage]) -> list[tuple[InboundMessage, bool]]:
        """``insert_once`` for a group of one account's texts: one transaction of their index
        and text rows when none is known yet (the common case), else text by text."""
        firsts: dict[str, InboundMessage] = {}
        for m in texts:
            firsts.setdefault(m.MessageSid, m)
        if len(firsts) == len(texts) and 2 * len(texts) <= MAX_TRANSACTION_OPS:
            ops = []
            for m in texts:
                ops.append(create_op({"PartitionKey": m.AccountId, "RowKey": SID + m.MessageSid,
                                      "MessageId": m.MessageId}))
                ops.append(create_op(to_row(m, m.AccountId, MSG + m.MessageId)))
            try:
                transact(self.table, ops)
                return [(m, True) for m in texts]
            except StorageConflict:
                pass  # one of them is known (a retried message): sort them out one by one
        return [self.insert_once(m) for m in texts]

    def get(self, acct: str, message_id: str) -> InboundMessage | None:
        row = get_row(self.table, acct, MSG + message_id)
        return from_row(InboundMessage, row) if row else None

    def list(self, acct: str, after_id: str | None = None) -> Iterator[InboundMessage]:
        """Newest first; ``after_id`` continues a listing."""
        for row in query_prefix(self.table, acct, MSG, MSG + after_id if after_id else None):
            yield from_row(InboundMessage, row)

    def between(self, acct: str, low_id: str, high_id: str) -> list[InboundMessage]:
        """Texts with low_id <= id < high_id (descending ids: newer than high_id, not newer
        than low_id's millisecond), newest first."""
        flt = "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi"
        rows = self.table.query_entities(flt, parameters={"pk": acct, "lo": MSG + low_id, "hi": MSG + high_id},
                                         results_per_page=1000)
        return [from_row(InboundMessage, r) for r in rows]


class OptOutRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store

    @property
    def table(self):  # noqa: ANN201
        return self.store.table(OPT_OUTS)

    @property
    def log(self):  # noqa: ANN201
        return self.store.table(OPT_OUT_LOG)

    def get(self, acct: str, phone: str) -> OptOut | None:
        row = get_row(self.table, acct, phone)
        return from_row(OptOut, row) if row else None

    def put(self, state: OptOut) -> None:
        """ETag-guarded (insert-if-absent for a new row): StorageConflict if someone wrote first."""
        row = to_row(state, state.AccountId, state.Phone)
        op = replace_op(row, state.etag) if state.etag else create_op(row)
        transact(self.table, [op])

    def all_opted_out(self, acct: str) -> set[str]:
        """Every number this account must not text: one projection query (opted-out numbers are
        few), used by dispatch and again by each send batch just before texting."""
        rows = self.table.query_entities("PartitionKey eq @pk and OptedOut eq true",
                                         parameters={"pk": acct}, select=["RowKey"])
        return {r["RowKey"] for r in rows}

    def list(self, acct: str, after: str | None = None, opted_out_only: bool = True) -> Iterator[OptOut]:
        flt, params = "PartitionKey eq @pk", {"pk": acct}
        if after:
            flt, params = flt + " and RowKey gt @after", {**params, "after": after}
        if opted_out_only:
            flt += " and OptedOut eq true"
        for row in self.table.query_entities(flt, parameters=params, results_per_page=1000):
            yield from_row(OptOut, row)

    # ---- audit trail (RowKey "<E.164>_<desc id>": a number's history, newest first) ----
    @staticmethod
    def event_key(phone: str, event_id: str) -> str:
        return f"{phone}_{event_id}"

    def add_event(self, e: OptOutEvent, event_id: str) -> bool:
        """False when this event (e.g. this message's keyword) is already logged."""
        return insert_if_absent(self.log, to_row(e, e.AccountId, self.event_key(e.Phone, event_id)))

    def get_event(self, acct: str, phone: str, event_id: str) -> OptOutEvent | None:
        row = get_row(self.log, acct, self.event_key(phone, event_id))
        return from_row(OptOutEvent, row) if row else None

    def mark_event(self, e: OptOutEvent, event_id: str, **fields: Any) -> bool:
        """ETag-guarded merge of ``fields`` (False when someone changed the row first): two
        workers on one keyword text cannot both claim its reply."""
        from azure.core import MatchConditions
        from azure.data.tables import UpdateMode

        entity = {"PartitionKey": e.AccountId, "RowKey": self.event_key(e.Phone, event_id), **fields}
        kwargs: dict[str, Any] = {"mode": UpdateMode.MERGE}
        if e.etag:
            kwargs.update(etag=e.etag, match_condition=MatchConditions.IfNotModified)
        try:
            transact(self.log, [("update", entity, kwargs)])
            return True
        except StorageConflict:
            return False

    def history(self, acct: str, phone: str, top: int = 50) -> list[OptOutEvent]:
        out = []
        for row in query_prefix(self.log, acct, phone + "_"):
            out.append(from_row(OptOutEvent, row))
            if len(out) >= top:
                break
        return out


def inbound_repo() -> InboundRepository:
    return repos().get(InboundRepository)


def optouts_repo() -> OptOutRepository:
    return repos().get(OptOutRepository)
