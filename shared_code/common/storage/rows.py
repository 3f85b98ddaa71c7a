"""Row-level helpers shared by the repositories: typed outcomes for conditional writes.

Services retry on ``RowChanged`` (someone else wrote first) and map ``RowExists`` to 409.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from azure.data.tables import TableClient

Op = tuple  # ("create" | "update" | "upsert" | "delete", entity[, kwargs])
MAX_TRANSACTION_OPS = 100  # operations in one table transaction (the service's limit)


class StorageConflict(Exception):
    """A conditional write lost: the row exists, changed, or vanished meanwhile."""

    def __init__(self, kind: str, index: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind  # "exists" | "changed" | "missing"
        self.index = index


T = TypeVar("T")
S = TypeVar("S")
CONFLICT_RETRIES = 8  # read-decide-write rounds before a row that keeps changing is given up on


@overload
def retry_on_conflict(attempt: Callable[[], T], *, tries: int = ...,
                      gave_up: BaseException | Callable[[], T] | None = ...,
                      retry_if: Callable[[StorageConflict], bool] | None = ...) -> T: ...


@overload
def retry_on_conflict(attempt: Callable[[S], T], *, first: S, reread: Callable[[S], S | None], tries: int = ...,
                      gave_up: BaseException | Callable[[], T | None] | None = ...,
                      retry_if: Callable[[StorageConflict], bool] | None = ...) -> T | None: ...


def retry_on_conflict(attempt: Callable[..., Any], *, tries: int = CONFLICT_RETRIES,
                      gave_up: BaseException | Callable[[], Any] | None = None,
                      retry_if: Callable[[StorageConflict], bool] | None = None,
                      first: Any = None, reread: Callable[[Any], Any] | None = None) -> Any:
    """Run ``attempt`` — read the row(s), decide, write them guarded by their ETags — again
    while its write loses to a concurrent writer: every retry reads fresh state. After ``tries``
    lost rounds ``gave_up`` is raised (an exception) or returned (a callable's result); without
    it the last StorageConflict propagates. ``retry_if`` narrows which conflicts are retried
    (the others propagate at once).

    With ``reread`` the caller already holds the state (``first``: a row it has just read, or
    the row it means to write), so the first round costs no read: ``attempt(state)`` decides and
    writes, and after a lost round ``reread(state)`` gives the next round's state — the row
    read again, or what to write now that the stored row is known. ``reread`` answering None
    (the row vanished, or the stored row says all there is to say) ends the retries with None."""
    state = first
    for n in range(tries):
        try:
            return attempt(state) if reread is not None else attempt()
        except StorageConflict as err:
            if (retry_if is not None and not retry_if(err)) or (n == tries - 1 and gave_up is None):
                raise
        if reread is not None and n < tries - 1:
            state = reread(state)
            if state is None:
                return None
    if isinstance(gave_up, BaseException):
        raise gave_up
    assert gave_up is not None
    return gave_up()


def _kind(status: int | None, code: str | None) -> str | None:
    if status == 409 or code == "EntityAlreadyExists":
        return "exists"
    if status == 412 or code == "UpdateConditionNotSatisfied":
        return "changed"
    if status == 404 or code == "ResourceNotFound":
        return "missing"
    return None


def etag_of(entity: Any) -> str | None:
    meta = getattr(entity, "metadata", None) or {}
    return meta.get("etag")


def replace_op(entity: dict, etag: str | None) -> Op:
    from azure.core import MatchConditions
    from azure.data.tables import UpdateMode

    if etag:
        return ("update", entity, {"mode": UpdateMode.REPLACE, "etag": etag,
                                   "match_condition": MatchConditions.IfNotModified})
    return ("upsert", entity, {"mode": UpdateMode.REPLACE})


def merge_op(entity: dict, etag: str) -> Op:
    """Change only ``entity``'s properties of a row, guarded by its ETag."""
    from azure.core import MatchConditions
    from azure.data.tables import UpdateMode

    return ("update", entity, {"mode": UpdateMode.MERGE, "etag": etag, "match_condition": MatchConditions.IfNotModified})


def delete_op(pk: str, rk: str, etag: str | None = None) -> Op:
    from azure.core import MatchConditions

    entity = {"PartitionKey": pk, "RowKey": rk}
    if etag:
        return ("delete", entity, {"etag": etag, "match_condition": MatchConditions.IfNotModified})
    return ("delete", entity)


def create_op(entity: dict) -> Op:
    return ("create", entity)


# one-row writes go straight to the entity call: a one-op batch costs about twice the CPU
# (multipart encoding, and a thread pool to parse the multipart answer). Deletes stay batched:
# delete_entity ignores a missing row, a batch reports it.
_SINGLE = {"create": "create_entity", "update": "update_entity", "upsert": "upsert_entity"}


def transact(table: "TableClient", ops: Sequence[Op]) -> list[dict[str, Any]]:
    """Submit ops (one partition, ≤ 100) atomically; translate conflicts to StorageConflict.
    Returns the service's metadata per op, in order (``{"etag": ...}`` for writes). Several
    ops go as one ``$batch`` framed by ``batch.submit`` (the SDK's MIME framing costs more
    CPU than the rest of a send; see there)."""
    from azure.core.exceptions import HttpResponseError

    from .batch import submit

    if not ops:
        return []
    if len(ops) > MAX_TRANSACTION_OPS:
        raise ValueError(f"a table transaction holds at most {MAX_TRANSACTION_OPS} operations")
    try:
        if len(ops) == 1 and ops[0][0] in _SINGLE:
            kind, entity, *kwargs = ops[0]
            return [dict(getattr(table, _SINGLE[kind])(entity, **(kwargs[0] if kwargs else {})))]
        return submit(table, ops)
    except HttpResponseError as err:  # a refused operation of a batch (with its index) or a one-row write
        kind = _kind(err.status_code, str(getattr(err, "error_code", "") or ""))
        if kind is None:
            raise
        raise StorageConflict(kind, getattr(err, "index", 0)) from err


def insert_if_absent(table: "TableClient", row: dict[str, Any]) -> bool:
    """Write a row that must be made once (an audit entry, a shared secret): True when this call
    made it, False when it was already there — a retry, or another instance first."""
    try:
        transact(table, [create_op(row)])
        return True
    except StorageConflict as err:
        if err.kind == "exists":
            return False
        raise


def get_row(table: "TableClient", pk: str, rk: str) -> Any | None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return table.get_entity(pk, rk)
    except ResourceNotFoundError:
        return None


def to_row(model: Any, pk: str, rk: str) -> dict[str, Any]:
    """A model as a table row: lists and nested models become JSON text (tables hold scalars)."""
    import json

    row: dict[str, Any] = {"PartitionKey": pk, "RowKey": rk}
    for name, value in model.model_dump(mode="python").items():
        if isinstance(value, (list, dict)):
            value = json.dumps(value, default=str, separators=(",", ":"))
        if value is not None:
            row[name] = value
    return row


def from_row(cls: Any, row: Any) -> Any:
    """The inverse of ``to_row``; the ETag travels with the model for conditional writes."""
    import json
    import typing

    data = dict(row)
    for name, field in cls.model_fields.items():
        value = data.get(name)
        if isinstance(value, str) and typing.get_origin(field.annotation) in (list, dict):
            if not value:
                data[name] = [] if typing.get_origin(field.annotation) is list else {}
            elif value[0] in "[{":
                data[name] = json.loads(value)
            else:  # address-book rows written before this codec kept lists comma-joined
                data[name] = [v for v in value.split(",") if v]
    return cls.model_validate(data).with_etag(etag_of(row))
