"""Tracked review links: a short URL on our host that redirects to Google's review form and
counts clicks per campaign and place."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING

from ..clock import utcnow
from ..config import get_settings
from ..errors import NotFound
from ..storage.names import LINKS
from ..storage.rows import StorageConflict, create_op, get_row, replace_op, transact
from .context import Caller, repos

if TYPE_CHECKING:
    from ..models.campaigns import LinkStats

ALPHABET = string.ascii_letters + string.digits
LINK_PATH = "/api/r/{}"


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
            return code, base.rstrip("/") + LINK_PATH.format(code)
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


def for_campaign(caller: Caller, campaign_id: str) -> list[LinkStats]:
    """GetCampaignLinkStats: the campaign's tracked link (none without TrackLink) and its clicks."""
    from ..models.campaigns import LinkStats
    from .campaigns import require

    campaign = require(caller, campaign_id)
    row = get_row(repos().store.table(LINKS), campaign.LinkCode, "") if campaign.LinkCode else None
    if row is None:
        return []
    base = get_settings().public_base_url or ""
    return [LinkStats(Code=campaign.LinkCode, Url=base.rstrip("/") + LINK_PATH.format(campaign.LinkCode),
                      PlaceId=str(row.get("PlaceId", "")), Target=str(row["Target"]), Clicks=int(row.get("Clicks", 0)),
                      CreatedAt=row["CreatedAt"], LastClickAt=row.get("LastClickAt"))]
