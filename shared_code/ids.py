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
    tail = "".join(secrets.choice(_CROCKFORD) for _ in range(16))
    return head + tail
