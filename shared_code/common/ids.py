"""Identifiers: ULIDs, time-sortable so RowKey order is creation order."""

from __future__ import annotations


def new_id() -> str:
    from ulid import ULID

    return str(ULID())


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MAX_MS = 2**48 - 1


def new_desc_id(now_ms: int | None = None) -> str:
    """A ULID-shaped id whose time part counts down, so RowKey order is newest first
    (campaign lists show the latest sends first without scanning everything)."""
    import secrets
    import time

    ms = _MAX_MS - (int(time.time() * 1000) if now_ms is None else now_ms)
    head = "".join(_CROCKFORD[(ms >> shift) & 31] for shift in range(45, -5, -5))
    bits = int.from_bytes(secrets.token_bytes(10))  # 80 random bits, one system call
    tail = "".join(_CROCKFORD[(bits >> shift) & 31] for shift in range(75, -5, -5))
    return head + tail


def desc_id_ms(desc_id: str) -> int:
    """The millisecond a descending id was stamped with (the inverse of ``new_desc_id``)."""
    value = 0
    for ch in desc_id[:10]:
        value = value * 32 + _CROCKFORD.index(ch)
    return _MAX_MS - value


def desc_floor(at_ms: int) -> str:
    """The smallest descending id of the millisecond ``at_ms``: every id made at or before
    that millisecond sorts at or after it."""
    return new_desc_id(at_ms)[:10] + "0" * 16
