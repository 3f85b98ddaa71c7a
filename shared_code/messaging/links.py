"""Tracked review links: a short URL on our host that redirects to Google's review form and
counts clicks per campaign and place."""

from __future__ import annotations

import secrets
import string

from ..common.clock import utcnow
from ..common.config import get_settings
from ..common.errors import NotFound
from ..common.storage.names import LINKS
from ..common.storage.rows import StorageConflict, create_op, get_row, replace_op, transact
from ..common.context import repos

ALPHABET = string.ascii_letters + string.digits


def create_link(account_id: str, campaign_id: str, place_id: str, target: str) -> tuple[str, str] | None:
    """(code, short URL), or None when no public URL is configured (the plain link is used)."""
    base = get_settings().public_base_url
    if not base:
        return None
    table = repos().store.table(LINKS)
    for _ in range(5):
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        row = {"PartitionKey": code, "RowKey": "", "AccountId": account_id, "CampaignId": campaign_id,
               "PlaceId": place_id, "Target": target, "Clicks": 0, "CreatedAt": utcnow()}
        try:
            transact(table, [create_op(row)])
            return code, f"{base.rstrip('/')}/api/r/{code}"
        except StorageConflict:
            continue
    return None


def follow(code: str) -> str:
    """Count a click and return where to send the browser."""
    table = repos().store.table(LINKS)
    for _ in range(8):
        row = get_row(table, code, "")
        if row is None:
            raise NotFound("This link does not exist.", code="LinkNotFound")
        updated = dict(row)
        updated["Clicks"] = int(row.get("Clicks", 0)) + 1
        updated["LastClickAt"] = utcnow()
        try:
            transact(table, [replace_op(updated, row.metadata["etag"])])
        except StorageConflict:
            continue
        return str(row["Target"])
    return str(row["Target"])


def clicks(code: str) -> int:
    if not code:
        return 0
    row = get_row(repos().store.table(LINKS), code, "")
    return int(row.get("Clicks", 0)) if row else 0
