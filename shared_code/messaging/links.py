"""Tracked review links: a short URL on our host that redirects to Google's review form and
counts clicks per campaign and place."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from ..accounts.models import Caller
from ..common.clock import utcnow
from ..common.errors import NotFound
from ..common.storage.rows import retry_on_conflict
from ..common.urls import public_base, public_url
from .storage import links_repo

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
    def attempt() -> tuple[str, str]:  # a code already taken: draw another
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
        links_repo().insert(code, {"AccountId": account_id, "CampaignId": campaign_id, "PlaceId": place_id,
                                   "Target": target, "Clicks": 0, "CreatedAt": utcnow()})
        return code, str(public_url(LINK_PATH.format(code)))

    return retry_on_conflict(attempt, tries=CODE_DRAWS, gave_up=lambda: None)


def follow(code: str) -> str:
    """Count a click and return where to send the browser."""
    seen: dict[str, Any] = {}

    def attempt() -> str:
        row = links_repo().get(code)
        if row is None:
            raise NotFound("This link does not exist.", code="LinkNotFound")
        seen["target"] = str(row["Target"])
        links_repo().count_click(row, utcnow())
        return seen["target"]

    return retry_on_conflict(attempt, gave_up=lambda: seen["target"])  # the browser goes on, uncounted


def clicks(code: str) -> int:
    row = links_repo().get(code)
    return int(row.get("Clicks", 0)) if row else 0


def for_campaign(caller: Caller, campaign_id: str) -> list[LinkStats]:
    """GetCampaignLinkStats: the campaign's tracked link (none without TrackLink) and its clicks."""
    from .campaigns import require
    from .models import LinkStats

    campaign = require(caller, campaign_id)
    row = links_repo().get(campaign.LinkCode)
    if row is None:
        return []
    return [LinkStats(Code=campaign.LinkCode, Url=public_url(LINK_PATH.format(campaign.LinkCode)) or LINK_PATH.format(campaign.LinkCode),
                      PlaceId=str(row.get("PlaceId", "")), Target=str(row["Target"]), Clicks=int(row.get("Clicks", 0)),
                      CreatedAt=row["CreatedAt"], LastClickAt=row.get("LastClickAt"))]
