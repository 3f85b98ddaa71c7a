"""Tracked review links: a short URL on our host that redirects to Google's review form and
counts clicks per campaign and place."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from ..accounts.models import Caller
from ..common.clock import utcnow
from ..common.context import repos
from ..common.errors import NotFound
from ..common.storage.names import LINKS
from ..common.storage.rows import create_op, get_row, replace_op, retry_on_conflict, transact
from ..common.urls import public_base, public_url

if TYPE_CHECKING:
    from .models import LinkStats

ALPHABET = string.ascii_letters + string.digits
CODE_CHARS = 8  # 62^8 codes: a clash is rare, CODE_DRAWS of them in a row never happen
CODE_DRAWS = 5
LINK_PATH = "/api/r/{}"


def create_link(account_id: str, campaign_id: str, place_id: str, target: str) -> tuple[str, str] | None:
    """(code, short URL), or None when no public URL is configured (the plain link is used)."""
    if public_base() is None:
        return None
    table = repos().store.table(LINKS)

    def attempt() -> tuple[str, str]:  # a code already taken: draw another
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
        row = {"PartitionKey": code, "RowKey": "", "AccountId": account_id, "CampaignId": campaign_id,
               "PlaceId": place_id, "Target": target, "Clicks": 0, "CreatedAt": utcnow()}
        transact(table, [create_op(row)])
        return code, str(public_url(LINK_PATH.format(code)))

    return retry_on_conflict(attempt, tries=CODE_DRAWS, gave_up=lambda: None)


def follow(code: str) -> str:
    """Count a click and return where to send the browser."""
    table = repos().store.table(LINKS)
    seen: dict[str, Any] = {}

    def attempt() -> str:
        row = get_row(table, code, "")
        if row is None:
            raise NotFound("This link does not exist.", code="LinkNotFound")
        seen["target"] = str(row["Target"])
        updated = dict(row)
        updated["Clicks"] = int(row.get("Clicks", 0)) + 1
        updated["LastClickAt"] = utcnow()
        transact(table, [replace_op(updated, row.metadata["etag"])])
        return seen["target"]

    return retry_on_conflict(attempt, gave_up=lambda: seen["target"])  # the browser goes on, uncounted


def clicks(code: str) -> int:
    if not code:
        return 0
    row = get_row(repos().store.table(LINKS), code, "")
    return int(row.get("Clicks", 0)) if row else 0


def for_campaign(caller: Caller, campaign_id: str) -> list[LinkStats]:
    """GetCampaignLinkStats: the campaign's tracked link (none without TrackLink) and its clicks."""
    from .campaigns import require
    from .models import LinkStats

    campaign = require(caller, campaign_id)
    row = get_row(repos().store.table(LINKS), campaign.LinkCode, "") if campaign.LinkCode else None
    if row is None:
        return []
    return [LinkStats(Code=campaign.LinkCode, Url=public_url(LINK_PATH.format(campaign.LinkCode)) or LINK_PATH.format(campaign.LinkCode),
                      PlaceId=str(row.get("PlaceId", "")), Target=str(row["Target"]), Clicks=int(row.get("Clicks", 0)),
                      CreatedAt=row["CreatedAt"], LastClickAt=row.get("LastClickAt"))]
