"""Identifiers: ULIDs, time-sortable so RowKey order is creation order."""

from __future__ import annotations


def new_id() -> str:
    from ulid import ULID

    return str(ULID())
