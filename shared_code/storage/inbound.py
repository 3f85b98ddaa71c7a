"""Received texts, opt-outs (state + audit), trigger subscriptions and their deliveries.

Every row's PartitionKey is the account id, so no query can cross tenants. Received texts and
audit rows use descending ids (``ids.new_desc_id``) so a partition scan lists the newest first;
their time part comes from the one clock (``clock.utcnow``), so the polling trigger's cursor
arithmetic and the ids agree even under a test clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..clock import utcnow
from ..ids import new_desc_id
from ..models.inbound import Delivery, InboundMessage, OptOut, OptOutEvent, Subscription
from .names import DELIVERIES, INBOUND, OPT_OUT_LOG, OPT_OUTS, SUBSCRIPTIONS
from .rows import StorageConflict, create_op, delete_op, from_row, get_row, replace_op, to_row, transact
from .tables import TableStore, query_prefix

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
        """Insert-if-absent: False when this event (e.g. this message's keyword) is already logged."""
        try:
            transact(self.log, [create_op(to_row(e, e.AccountId, self.event_key(e.Phone, event_id)))])
            return True
        except StorageConflict as err:
            if err.kind == "exists":
                return False
            raise

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


class SubscriptionRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store

    @property
    def table(self):  # noqa: ANN201
        return self.store.table(SUBSCRIPTIONS)

    def create_once(self, s: Subscription, same_key: str) -> tuple[Subscription, bool]:
        """Insert with a same-callback index row in one transaction; a registration with the
        same kind, callback and filters is returned instead of a second one."""
        index = {"PartitionKey": s.AccountId, "RowKey": "u_" + same_key, "SubscriptionId": s.SubscriptionId}
        for _ in range(5):
            try:
                transact(self.table, [create_op(index), create_op(to_row(s, s.AccountId, "s_" + s.SubscriptionId))])
                return s, True
            except StorageConflict as err:
                if err.kind != "exists":
                    raise
            row = get_row(self.table, s.AccountId, "u_" + same_key)
            if row is not None:
                existing = self.get(s.AccountId, str(row["SubscriptionId"]))
                if existing is not None:
                    return existing, False
                try:  # an index row left by an interrupted delete
                    transact(self.table, [delete_op(s.AccountId, "u_" + same_key)])
                except StorageConflict:
                    pass
        raise StorageConflict("changed")

    def get(self, acct: str, sub_id: str) -> Subscription | None:
        if not sub_id or any(c in sub_id for c in "/\\#?'"):
            return None
        row = get_row(self.table, acct, "s_" + sub_id)
        return from_row(Subscription, row) if row else None

    def list(self, acct: str) -> list[Subscription]:
        return [from_row(Subscription, r) for r in query_prefix(self.table, acct, "s_")]

    def delete(self, acct: str, sub_id: str, same_key: str) -> bool:
        """Remove the registration and its index row; False when it was not there."""
        existed = False
        for rk in ("s_" + sub_id, "u_" + same_key):
            try:
                transact(self.table, [delete_op(acct, rk)])
                existed = existed or rk.startswith("s_")
            except StorageConflict:
                continue
        return existed

    def replace(self, s: Subscription) -> None:
        transact(self.table, [replace_op(to_row(s, s.AccountId, "s_" + s.SubscriptionId), s.etag)])


class DeliveryRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store

    @property
    def table(self):  # noqa: ANN201
        return self.store.table(DELIVERIES)

    @staticmethod
    def key(sub_id: str, event_key: str) -> str:
        return f"{sub_id}_{event_key}"

    def get(self, acct: str, sub_id: str, event_key: str) -> Delivery | None:
        row = get_row(self.table, acct, self.key(sub_id, event_key))
        return from_row(Delivery, row) if row else None

    def insert(self, acct: str, d: Delivery) -> None:
        """Insert-if-absent (StorageConflict("exists") otherwise); ``d`` takes the new ETag,
        so the next conditional write needs no read."""
        from azure.core.exceptions import ResourceExistsError

        try:
            meta = self.table.create_entity(to_row(d, acct, self.key(d.SubscriptionId, d.EventKey)))
        except ResourceExistsError as err:
            raise StorageConflict("exists") from err
        d.with_etag(meta.get("etag"))

    def replace(self, acct: str, d: Delivery) -> None:
        """ETag-guarded: StorageConflict("changed") when another worker wrote first; ``d``
        takes the new ETag."""
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError
        from azure.data.tables import UpdateMode

        try:
            meta = self.table.update_entity(to_row(d, acct, self.key(d.SubscriptionId, d.EventKey)),
                                            mode=UpdateMode.REPLACE, etag=d.etag,
                                            match_condition=MatchConditions.IfNotModified)
        except HttpResponseError as err:
            if err.status_code in (404, 409, 412):
                raise StorageConflict("changed") from err
            raise
        d.with_etag(meta.get("etag"))

    def for_subscription(self, acct: str, sub_id: str, state: str | None = None,
                         top: int = 50) -> list[Delivery]:
        flt, params = "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi", \
            {"pk": acct, "lo": sub_id + "_", "hi": sub_id + "`"}
        if state:
            flt, params = flt + " and State eq @st", {**params, "st": state}
        out = []
        for row in self.table.query_entities(flt, parameters=params, results_per_page=1000):
            out.append(from_row(Delivery, row))
            if len(out) >= top:
                break
        return out
