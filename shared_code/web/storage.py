"""The idempotency records of ``web.idempotency``: one row per (account, key), read and written
by point operations only (no partition scans); PartitionKey = account id, RowKey = the hash of
the key (never the key itself: callers put order numbers and such in it)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..common.context import repos
from ..common.storage.names import IDEMPOTENCY
from ..common.storage.rows import StorageConflict, create_op, delete_op, etag_of, get_row, replace_op, transact
from ..common.storage.tables import TableStore

IDEMPOTENCY_TTL_SECONDS = 24 * 3600      # how long a key keeps its answer
RESPONSE_CHUNK_CHARS = 30_000            # a string property holds 32K UTF-16 characters
RESPONSE_MAX_CHUNKS = 30                 # with the other properties, well under an entity's 1 MiB
NEVER = datetime.min.replace(tzinfo=timezone.utc)


@dataclass
class IdempotencyRecord:
    """One key's record: in-progress (with a lease) or completed (with the answer kept)."""

    state: str
    fingerprint: str
    reserved: str
    expires_at: datetime
    lease_until: datetime
    response: dict[str, Any] | None = None
    etag: str | None = None


def _legacy_expiry(row: Any) -> datetime:
    """Records written before the idempotency utility kept only CampaignId and CreatedAt."""
    created = row.get("CreatedAt")
    return created + timedelta(seconds=IDEMPOTENCY_TTL_SECONDS) if isinstance(created, datetime) else NEVER


class IdempotencyRepository:
    def __init__(self, store: TableStore) -> None:
        self.table = store.table(IDEMPOTENCY)

    def get(self, acct: str, key: str) -> IdempotencyRecord | None:
        row = get_row(self.table, acct, key)
        if row is None:
            return None
        chunks = [row[f"Response{i}"] for i in range(RESPONSE_MAX_CHUNKS) if f"Response{i}" in row]
        return IdempotencyRecord(state=str(row.get("State") or ""), fingerprint=str(row.get("Fingerprint") or ""),
                                 reserved=str(row.get("Reserved") or row.get("CampaignId") or ""),
                                 expires_at=row.get("ExpiresAt") or _legacy_expiry(row),
                                 lease_until=row.get("LeaseUntil") or NEVER,
                                 response=json.loads("".join(chunks)) if chunks else None, etag=etag_of(row))

    def _row(self, acct: str, key: str, r: IdempotencyRecord) -> dict[str, Any]:
        row: dict[str, Any] = {"PartitionKey": acct, "RowKey": key, "State": r.state, "Fingerprint": r.fingerprint,
                               "Reserved": r.reserved, "ExpiresAt": r.expires_at, "LeaseUntil": r.lease_until}
        if r.response is not None:
            text = json.dumps(r.response, ensure_ascii=False, separators=(",", ":"), default=str)
            chunks = [text[i:i + RESPONSE_CHUNK_CHARS] for i in range(0, len(text), RESPONSE_CHUNK_CHARS)]
            if len(chunks) > RESPONSE_MAX_CHUNKS:
                raise ValueError(f"an idempotent answer of {len(text)} characters is too large to keep")
            row.update({f"Response{i}": c for i, c in enumerate(chunks)})
        return row

    def create(self, acct: str, key: str, r: IdempotencyRecord) -> None:
        """Raises StorageConflict("exists") when the key has a record."""
        r.etag = transact(self.table, [create_op(self._row(acct, key, r))])[0].get("etag")

    def replace(self, acct: str, key: str, r: IdempotencyRecord, etag: str | None) -> None:
        """ETag-guarded; raises StorageConflict("changed") when another writer was first."""
        r.etag = transact(self.table, [replace_op(self._row(acct, key, r), etag)])[0].get("etag")

    def delete(self, acct: str, key: str, etag: str | None) -> None:
        try:
            transact(self.table, [delete_op(acct, key, etag)])
        except StorageConflict:
            pass  # gone already, or taken over by a newer attempt: its record, not ours


def idempotency_repo() -> IdempotencyRepository:
    return repos().get(IdempotencyRepository)
