"""Idempotent actions, as one utility: the first request with a key does the work and keeps
its answer; a retry of it gets that same answer back (status, headers, data) at once.

A record per (account, key) moves in-progress -> completed:

* **in-progress** is written (conditional insert) before the work starts, with a lease. A twin
  arriving meanwhile is told 409 ``IdempotencyInProgress`` with ``Retry-After`` — it does not
  wait inside its request (Power Automate retries a 409 with Retry-After by itself). A lease
  that ran out means the first request died mid-work: the next retry takes the record over
  (ETag-guarded, so only one does) and redoes the work with the same ``reserved`` id, which the
  action uses to find what the dead request may already have written.
* **completed** keeps the answer. A retry with the same fingerprint gets it back verbatim; one
  with another request under the same key is a 422 ``IdempotencyKeyReused`` (the key names one
  request: the IETF Idempotency-Key draft, Stripe).
* A failed action (any error) deletes its in-progress record, so the retry runs again.
* Records expire after ``IDEMPOTENCY_TTL_SECONDS``; an expired record is overwritten by the next
  use of its key. Every access is a point read or write of one row: no partition scans.

Learnt from Powertools for AWS Lambda's idempotency utility (persistence layer with
INPROGRESS/COMPLETED records that store the response, expiry, in-progress expiry).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..common.clock import utcnow
from ..common.errors import Conflict, Unprocessable
from .envelope import jsonable
from .request import Result

if TYPE_CHECKING:
    from ..common.storage.tables import TableStore

IDEMPOTENCY_TTL_SECONDS = 24 * 3600      # how long a key keeps its answer
IN_PROGRESS_LEASE_SECONDS = 240          # longer than any HTTP request may run (Azure's front end stops at 230 s)
IN_PROGRESS_RETRY_AFTER = 2              # seconds a twin is told to wait
BEGIN_ROUNDS = 3                         # lost races for the record before the caller is told to retry
RESPONSE_CHUNK_CHARS = 30_000            # a string property holds 32K UTF-16 characters
RESPONSE_MAX_CHUNKS = 30                 # with the other properties, well under an entity's 1 MiB
IN_PROGRESS, COMPLETED = "in-progress", "completed"
KEY_HEADER = "Idempotency-Key"
NEVER = datetime.min.replace(tzinfo=timezone.utc)


@dataclass
class Attempt:
    """What the action is told: the id to create its resources under (the same on every
    attempt of one key), and whether an earlier attempt may already have written some of them."""

    reserved: str
    resumed: bool = False


@dataclass
class _Record:
    state: str
    fingerprint: str
    reserved: str
    expires_at: datetime
    lease_until: datetime
    response: dict[str, Any] | None = None
    etag: str | None = None


def _legacy_expiry(row: Any) -> datetime:
    """Records written before this utility kept only CampaignId and CreatedAt."""
    created = row.get("CreatedAt")
    return created + timedelta(seconds=IDEMPOTENCY_TTL_SECONDS) if isinstance(created, datetime) else NEVER


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def fingerprint_of(doc: Any) -> str:
    """A stable digest of what makes two requests the same (canonical JSON)."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


EXPLICIT_KEY, RUN_KEY = "key:", "run:"
RUN_HEADERS = ("x-ms-workflow-repeatitem-scope-name", "x-ms-workflow-repeatitem-index",
               "x-ms-workflow-repeatitem-batch-index")


def request_key(header: Callable[[str], str | None], fingerprint: str) -> str | None:
    """The caller's Idempotency-Key, else one derived from Power Automate's run headers: the
    run id, the action's name and its loop iteration identify one action execution, and the
    engine sends the same values when it retries that execution (408/429/5xx). A run key
    includes the request's fingerprint: another body in the same execution is another request."""
    explicit = header(KEY_HEADER)
    if explicit and explicit.strip():
        return f"{EXPLICIT_KEY}{explicit.strip()}"
    run_id, action = header("x-ms-workflow-run-id"), header("x-ms-workflow-operation-name")
    if not (run_id and action):
        return None
    loop = "|".join(header(h) or "" for h in RUN_HEADERS)
    return f"{RUN_KEY}{header('x-ms-workflow-name') or ''}|{run_id}|{action}|{loop}|{fingerprint}"


class IdempotencyRepository:
    """The records: PartitionKey the account, RowKey the hash of the key (never the key itself:
    callers put order numbers and such in it)."""

    def __init__(self, store: "TableStore") -> None:
        from ..common.storage.names import IDEMPOTENCY

        self.table = store.table(IDEMPOTENCY)

    def get(self, acct: str, key: str) -> _Record | None:
        from ..common.storage.rows import etag_of, get_row

        row = get_row(self.table, acct, key)
        if row is None:
            return None
        chunks = [row[f"Response{i}"] for i in range(RESPONSE_MAX_CHUNKS) if f"Response{i}" in row]
        return _Record(state=str(row.get("State") or ""), fingerprint=str(row.get("Fingerprint") or ""),
                       reserved=str(row.get("Reserved") or row.get("CampaignId") or ""),
                       expires_at=row.get("ExpiresAt") or _legacy_expiry(row),
                       lease_until=row.get("LeaseUntil") or NEVER,
                       response=json.loads("".join(chunks)) if chunks else None, etag=etag_of(row))

    def _row(self, acct: str, key: str, r: _Record) -> dict[str, Any]:
        row: dict[str, Any] = {"PartitionKey": acct, "RowKey": key, "State": r.state, "Fingerprint": r.fingerprint,
                               "Reserved": r.reserved, "ExpiresAt": r.expires_at, "LeaseUntil": r.lease_until}
        if r.response is not None:
            text = json.dumps(r.response, ensure_ascii=False, separators=(",", ":"), default=str)
            chunks = [text[i:i + RESPONSE_CHUNK_CHARS] for i in range(0, len(text), RESPONSE_CHUNK_CHARS)]
            if len(chunks) > RESPONSE_MAX_CHUNKS:
                raise ValueError(f"an idempotent answer of {len(text)} characters is too large to keep")
            row.update({f"Response{i}": c for i, c in enumerate(chunks)})
        return row

    def create(self, acct: str, key: str, r: _Record) -> None:
        """Raises StorageConflict("exists") when the key has a record."""
        from ..common.storage.rows import create_op, transact

        r.etag = transact(self.table, [create_op(self._row(acct, key, r))])[0].get("etag")

    def replace(self, acct: str, key: str, r: _Record, etag: str | None) -> None:
        """ETag-guarded; raises StorageConflict("changed") when another writer was first."""
        from ..common.storage.rows import replace_op, transact

        r.etag = transact(self.table, [replace_op(self._row(acct, key, r), etag)])[0].get("etag")

    def delete(self, acct: str, key: str, etag: str | None) -> None:
        from ..common.storage.rows import StorageConflict, delete_op, transact

        try:
            transact(self.table, [delete_op(acct, key, etag)])
        except StorageConflict:
            pass  # gone already, or taken over by a newer attempt: its record, not ours


def _repository() -> IdempotencyRepository:
    from ..common.context import repos

    return repos().get(IdempotencyRepository)


def _reused() -> Unprocessable:
    return Unprocessable(f"{KEY_HEADER}: this key was used in the last 24 hours for a different request "
                         "(another action or other values). Use a new key for a new request.",
                         code="IdempotencyKeyReused", field=KEY_HEADER)


def _in_progress() -> Conflict:
    return Conflict("The same request is still being processed; retry shortly.", code="IdempotencyInProgress",
                    headers={"Retry-After": str(IN_PROGRESS_RETRY_AFTER)})


def _answer(response: dict[str, Any]) -> Result:
    return Result(response.get("data"), status=response.get("status"), headers=dict(response.get("headers") or {}))


def _begin(repo: IdempotencyRepository, acct: str, key: str, fingerprint: str,
           new_reserved: Callable[[], str]) -> tuple[_Record, Attempt] | Result:
    """Own the key (a new record, an expired one, or a dead attempt's) or return the answer.
    Each lost write means another writer moved the record on: look again, a few times, then
    tell the caller to retry as if a twin were running."""
    from ..common.storage.rows import retry_on_conflict

    def attempt() -> tuple[_Record, Attempt] | Result:
        now = utcnow()
        mine = _Record(IN_PROGRESS, fingerprint, new_reserved(), now + timedelta(seconds=IDEMPOTENCY_TTL_SECONDS),
                       now + timedelta(seconds=IN_PROGRESS_LEASE_SECONDS))
        current = repo.get(acct, key)
        if current is None:
            repo.create(acct, key, mine)
            return mine, Attempt(mine.reserved)
        if current.expires_at <= now:  # the key is free again
            repo.replace(acct, key, mine, current.etag)
            return mine, Attempt(mine.reserved)
        if current.fingerprint and current.fingerprint != fingerprint:
            raise _reused()
        if current.state == COMPLETED and current.response is not None:
            return _answer(current.response)
        if current.state == IN_PROGRESS and current.lease_until > now:
            raise _in_progress()
        # a dead attempt, or a record from before answers were kept: redo it from its reserved id
        mine.reserved = current.reserved  # the dead attempt's id: the action looks for its work
        repo.replace(acct, key, mine, current.etag)
        return mine, Attempt(mine.reserved, resumed=True)

    return retry_on_conflict(attempt, tries=BEGIN_ROUNDS, gave_up=_in_progress())


def run_once(account_id: str, key: str | None, fingerprint: str, action: Callable[[Attempt], Result],
             new_reserved: Callable[[], str]) -> Result:
    """Run ``action`` once per (account, key); without a key, just run it. ``fingerprint``
    says what the request was (see ``fingerprint_of``); ``new_reserved`` makes the id a first
    attempt creates its resources under."""
    if not key:
        return action(Attempt(new_reserved()))
    repo, hashed = _repository(), key_hash(key)
    begun = _begin(repo, account_id, hashed, fingerprint, new_reserved)
    if isinstance(begun, Result):
        return begun
    record, attempt = begun
    try:
        result = action(attempt)
    except BaseException:
        repo.delete(account_id, hashed, record.etag)
        raise
    record.state = COMPLETED
    record.response = {"status": result.status, "headers": dict(result.headers),
                       "data": json.loads(json.dumps(jsonable(result.data), ensure_ascii=False, default=str))}
    from ..common.storage.rows import StorageConflict

    try:
        repo.replace(account_id, hashed, record, record.etag)
    except StorageConflict:
        pass  # our lease ran out and a retry took over: it answers from the same reserved id
    return _answer(record.response)
