"""Sends far bigger than the demo: long recipient lists pasted from a spreadsheet, every
recipient reached once, and the recipients listing paged to its end."""

from __future__ import annotations

from typing import Any

from tests.messaging.helpers import data, wait_campaign


def numbers(n: int, start: int = 0, area: str = "415") -> list[str]:
    """n distinct valid US numbers (+1 415 300-0000 ...), none of them from new_phone()."""
    return [f"+1{area}{3_000_000 + start + i:07d}" for i in range(n)]


def follow_pages(api: Any, path: str, **params: Any) -> tuple[list[dict], int]:
    """Every item of a paged listing, following NextLink until there is none."""
    res = api.get(path, params=params)
    items, pages = [], 0
    while True:
        assert res.status_code == 200, res.text
        payload = res.json()
        items += payload["Data"]
        pages += 1
        link = payload.get("NextLink")
        if not link:
            return items, pages
        res = api.session.get(link, timeout=30)


def test_recipients_listing_pages_to_the_end(api, tenant):
    phones = numbers(300, start=100_000)
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": ",".join(phones), "Body": "paged"}))
    wait_campaign(api, c["CampaignId"], timeout=60)
    items, pages = follow_pages(api, f"campaigns/{c['CampaignId']}/recipients", top=50)
    seen = [r["Phone"] for r in items]
    assert len(seen) == len(set(seen)) == 300 and set(seen) == set(phones)
    assert pages == 6
