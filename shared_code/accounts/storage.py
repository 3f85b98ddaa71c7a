"""Accounts, the service numbers that route to them, and API keys.

API keys are looked up by key id before the caller's account is known, so their
PartitionKey is the key id (a key row still names its account and is only ever used for it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..common.context import repos
from ..common.storage.names import ACCOUNT_ADMINS, ACCOUNTS, API_KEYS, NUMBERS
from ..common.storage.rows import StorageConflict, etag_of, from_row, get_row, replace_op, to_row, transact
from ..common.storage.tables import TableStore
from .models import Account, ApiKey


def _row(pk: str, rk: str, model: Any) -> dict[str, Any]:
    row = model.model_dump()
    row.update(PartitionKey=pk, RowKey=rk)
    return row


class AccountRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store

    def create(self, account: Account) -> None:
        """Claim the service number, then write the account; a taken number is a conflict."""
        numbers = self.store.table(NUMBERS)
        from azure.core.exceptions import ResourceExistsError

        try:
            numbers.create_entity({"PartitionKey": account.Phone, "RowKey": "number",
                                   "AccountId": account.AccountId})
        except ResourceExistsError as err:
            raise StorageConflict("exists") from err
        self.store.table(ACCOUNTS).create_entity(to_row(account, account.AccountId, "account"))
        for email in account.Admins:
            self.index_admin(email, account.AccountId)

    def get(self, account_id: str) -> Account | None:
        row = get_row(self.store.table(ACCOUNTS), account_id, "account")
        return from_row(Account, row) if row else None

    def replace(self, account: Account) -> None:
        """Write the account back, guarded by the ETag it was read with (StorageConflict: retry)."""
        transact(self.store.table(ACCOUNTS), [replace_op(to_row(account, account.AccountId, "account"),
                                                         account.etag)])

    def claim_number(self, phone: str, account_id: str) -> None:
        """Take a service number for an account; StorageConflict("exists") when another has it."""
        from azure.core.exceptions import ResourceExistsError

        try:
            self.store.table(NUMBERS).create_entity({"PartitionKey": phone, "RowKey": "number",
                                                     "AccountId": account_id})
        except ResourceExistsError as err:
            row = get_row(self.store.table(NUMBERS), phone, "number")
            if not row or row.get("AccountId") != account_id:
                raise StorageConflict("exists") from err

    def release_number(self, phone: str, account_id: str) -> None:
        """Give a number up, if it is still this account's."""
        row = get_row(self.store.table(NUMBERS), phone, "number")
        if row and row.get("AccountId") == account_id:
            self.store.table(NUMBERS).delete_entity(phone, "number", etag=etag_of(row),
                                                    match_condition=_if_not_modified())

    # The admin index: PK email, RK account id, so "the accounts this user administers" is one
    # partition query. Account.Admins is the truth; readers check a found account's Admins, so
    # an index row left behind by a crash grants nothing.
    def index_admin(self, email: str, account_id: str) -> None:
        self.store.table(ACCOUNT_ADMINS).upsert_entity({"PartitionKey": email, "RowKey": account_id})

    def unindex_admin(self, email: str, account_id: str) -> None:
        self.store.table(ACCOUNT_ADMINS).delete_entity(email, account_id)

    def account_ids_for(self, email: str) -> list[str]:
        rows = self.store.table(ACCOUNT_ADMINS).query_entities("PartitionKey eq @e", parameters={"e": email},
                                                               select=["RowKey"])
        return [r["RowKey"] for r in rows]

    def account_id_for_number(self, phone: str) -> str | None:
        row = get_row(self.store.table(NUMBERS), phone, "number")
        return row["AccountId"] if row else None

    def list(self) -> Iterator[Account]:
        for row in self.store.table(ACCOUNTS).list_entities():
            yield from_row(Account, row)


class ApiKeyRepository:
    def __init__(self, store: TableStore) -> None:
        self.store = store

    @property
    def table(self):  # noqa: ANN201
        return self.store.table(API_KEYS)

    def create(self, key: ApiKey) -> None:
        self.table.create_entity(_row(key.KeyId, "key", key))

    def get(self, key_id: str) -> ApiKey | None:
        row = get_row(self.table, key_id, "key")
        return ApiKey.model_validate(dict(row)).with_etag(etag_of(row)) if row else None  # type: ignore[return-value]

    def replace(self, key: ApiKey) -> None:
        transact(self.table, [replace_op(_row(key.KeyId, "key", key), key.etag)])

    def touch(self, key_id: str, fields: dict[str, Any]) -> None:
        """Merge a few fields without a condition (last-used time: last writer wins)."""
        from azure.data.tables import UpdateMode

        self.table.update_entity({"PartitionKey": key_id, "RowKey": "key", **fields}, mode=UpdateMode.MERGE)

    def list_for_account(self, account_id: str) -> Iterator[ApiKey]:
        for row in self.table.query_entities("AccountId eq @a", parameters={"a": account_id}):
            yield ApiKey.model_validate(dict(row))


def _if_not_modified() -> Any:
    from azure.core import MatchConditions

    return MatchConditions.IfNotModified


def accounts_repo() -> AccountRepository:
    return repos().get(AccountRepository)


def keys_repo() -> ApiKeyRepository:
    return repos().get(ApiKeyRepository)
