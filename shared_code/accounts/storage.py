"""Accounts, the service numbers that route to them, and API keys.

API keys are looked up by key id before the caller's account is known, so their
PartitionKey is the key id (a key row still names its account and is only ever used for it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..common.context import repos
from ..common.storage.names import ACCOUNTS, API_KEYS, NUMBERS
from ..common.storage.rows import StorageConflict, etag_of, get_row, replace_op, transact
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
        self.store.table(ACCOUNTS).create_entity(_row(account.AccountId, "account", account))

    def get(self, account_id: str) -> Account | None:
        row = get_row(self.store.table(ACCOUNTS), account_id, "account")
        return Account.model_validate(dict(row)).with_etag(etag_of(row)) if row else None  # type: ignore[return-value]

    def account_id_for_number(self, phone: str) -> str | None:
        row = get_row(self.store.table(NUMBERS), phone, "number")
        return row["AccountId"] if row else None

    def list(self) -> Iterator[Account]:
        for row in self.store.table(ACCOUNTS).list_entities():
            yield Account.model_validate(dict(row))


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


def accounts_repo() -> AccountRepository:
    return repos().get(AccountRepository)


def keys_repo() -> ApiKeyRepository:
    return repos().get(ApiKeyRepository)
