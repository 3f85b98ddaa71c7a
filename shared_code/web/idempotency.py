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
  use of its key. Every access is a point read or write of one row: no partition scans (the
  records and their repository: ``web/storage.py``).

Learnt from Powertools for AWS Lambda's idempotency utility (persistence layer with
INPROGRESS/COMPLETED records that store the response, expiry, in-progress expiry).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..common.clock import utcnow
from ..common.errors import Conflict, Unprocessable
from ..common.storage.rows import StorageConflict, retry_on_conflict
from .envelope import jsonable
from .request import Result
from .storage import IDEMPOTENCY_TTL_SECONDS, IdempotencyRecord, IdempotencyRepository, idempotency_repo

IN_PROGRESS_LEASE_SECONDS = 240          # longer than any HTTP request may run (Azure's front end stops at 230 s)
IN_PROGRESS_RETRY_AFTER = 2              # seconds a twin is told to wait
BEGIN_ROUNDS = 3                         # lost races for the record before the caller is told to retry
IN_PROGRESS, COMPLETED = "in-progress", "completed"
KEY_HEADER = "Idempotency-Key"


@dataclass
class Attempt:
    """What the action is told: the id to create its resources under (the same on every
    attempt of one key), and whether an earlier attempt may already have written some of them."""

    reserved: str
    resumed: bool = False


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
           new_reserved: Callable[[], str]) -> tuple[IdempotencyRecord, Attempt] | Result:
    """Own the key (a new record, an expired one, or a dead attempt's) or return the answer.
    Each lost write means another writer moved the record on: look again, a few times, then
    tell the caller to retry as if a twin were running."""

    def attempt() -> tuple[IdempotencyRecord, Attempt] | Result:
        now = utcnow()
        mine = IdempotencyRecord(IN_PROGRESS, fingerprint, new_reserved(),
                                 now + timedelta(seconds=IDEMPOTENCY_TTL_SECONDS),
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
    repo, hashed = idempotency_repo(), key_hash(key)
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
    try:
        repo.replace(account_id, hashed, record, record.etag)
    except StorageConflict:
        pass  # our lease ran out and a retry took over: it answers from the same reserved id
    return _answer(record.response)
