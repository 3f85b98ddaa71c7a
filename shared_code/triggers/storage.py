"""Trigger subscriptions and their deliveries; PartitionKey = account id (no query crosses tenants)."""

from __future__ import annotations

from ..common.context import repos
from ..common.storage.names import DELIVERIES, SUBSCRIPTIONS
from ..common.storage.rows import (MAX_TRANSACTION_OPS, StorageConflict, create_op, delete_op, from_row, get_row,
                                   replace_op, retry_on_conflict, to_row, transact)
from ..common.storage.tables import TableStore, query_prefix
from .models import Delivery, Subscription

CREATE_ROUNDS = 5  # inserts of a registration racing other registrations and deletes of the same callback


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

        def attempt() -> tuple[Subscription, bool]:
            try:
                transact(self.table, [create_op(index), create_op(to_row(s, s.AccountId, "s_" + s.SubscriptionId))])
                return s, True
            except StorageConflict as err:
                existing = self._same(s.AccountId, same_key) if err.kind == "exists" else None
                if existing is None:  # a leftover index row, now removed (or a race): insert again
                    raise
                return existing, False

        return retry_on_conflict(attempt, tries=CREATE_ROUNDS, retry_if=lambda err: err.kind == "exists",
                                 gave_up=StorageConflict("changed"))

    def _same(self, acct: str, same_key: str) -> Subscription | None:
        """The registration the same-callback index row names; an index row left by an
        interrupted delete is removed (None)."""
        row = get_row(self.table, acct, "u_" + same_key)
        if row is None:
            return None
        existing = self.get(acct, str(row["SubscriptionId"]))
        if existing is None:
            try:
                transact(self.table, [delete_op(acct, "u_" + same_key)])
            except StorageConflict:
                pass
        return existing

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

    def insert_all(self, acct: str, records: list[Delivery]) -> None:
        """Insert-if-absent for a group, all or none per transaction (StorageConflict("exists")
        when any of a transaction's records is known); each takes its new ETag."""
        for i in range(0, len(records), MAX_TRANSACTION_OPS):
            chunk = records[i:i + MAX_TRANSACTION_OPS]
            metas = transact(self.table, [create_op(to_row(d, acct, self.key(d.SubscriptionId, d.EventKey)))
                                          for d in chunk])
            for d, meta in zip(chunk, metas):
                d.with_etag(meta.get("etag"))

    def replace_all(self, acct: str, records: list[Delivery]) -> None:
        """ETag-guarded replace of a group, all or none per transaction (StorageConflict)."""
        for i in range(0, len(records), MAX_TRANSACTION_OPS):
            chunk = records[i:i + MAX_TRANSACTION_OPS]
            metas = transact(self.table, [replace_op(to_row(d, acct, self.key(d.SubscriptionId, d.EventKey)), d.etag)
                                          for d in chunk])
            for d, meta in zip(chunk, metas):
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


def subscriptions_repo() -> SubscriptionRepository:
    return repos().get(SubscriptionRepository)


def deliveries_repo() -> DeliveryRepository:
    return repos().get(DeliveryRepository)
