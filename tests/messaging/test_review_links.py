"""Tracked review links: a short link on our host, 302 to Google, clicks counted per campaign."""

from __future__ import annotations

import os

import pytest
import requests

from tests.messaging.helpers import PLACE, data, make_book


@pytest.fixture()
def public_url(host):  # noqa: ANN001, ANN201
    from shared_code.common import context

    saved = os.environ.get("PUBLIC_BASE_URL")
    os.environ["PUBLIC_BASE_URL"] = host.base_url
    context.reset()
    yield host.base_url
    if saved is None:
        os.environ.pop("PUBLIC_BASE_URL", None)
    else:
        os.environ["PUBLIC_BASE_URL"] = saved
    context.reset()


def test_tracked_link_redirects_to_google_and_counts_clicks(api, public_url):
    book = make_book(api)
    c = data(api.post("messages/sendereviewsinglecontact",
                      {"To": book.p1, "Body": "How did we do?", "GooglePlaceId": PLACE, "TrackLink": True}))
    campaign = data(api.get(f"campaigns/{c['CampaignId']}"))
    short = campaign["Body"].splitlines()[-1]
    assert short.startswith(f"{public_url}/api/r/") and "google" not in campaign["Body"]
    for _ in range(2):
        hop = requests.get(short, allow_redirects=False, timeout=10)
        assert hop.status_code == 302
        assert hop.headers["Location"] == f"https://search.google.com/local/writereview?placeid={PLACE}"
    assert data(api.get(f"campaigns/{c['CampaignId']}"))["LinkClicks"] == 2
    assert requests.get(f"{public_url}/api/r/nope1234", allow_redirects=False, timeout=10).status_code == 404


def test_untracked_review_keeps_the_plain_google_link(api, public_url):
    book = make_book(api)
    c = data(api.post("messages/sendereviewmulticontact", {"To": [book.p1], "Body": "Review us", "GooglePlaceId": PLACE}))
    assert c["Body"].endswith(f"placeid={PLACE}") and c["LinkClicks"] == 0


def test_link_stats_list_each_tracked_link_with_its_clicks(api, public_url):
    """GetCampaignLinkStats: the short link a campaign texted, where it leads and its clicks;
    a campaign without a tracked link has none, another account's campaign is not found."""
    from tests.support.client import Api
    from tests.support.tenants import new_tenant

    book = make_book(api)
    c = data(api.post("messages/sendereviewsinglecontact",
                      {"To": book.p1, "Body": "How did we do?", "GooglePlaceId": PLACE, "TrackLink": True}))
    [link] = data(api.get(f"campaigns/{c['CampaignId']}/links"))
    assert link["Url"] == data(api.get(f"campaigns/{c['CampaignId']}"))["Body"].splitlines()[-1]
    assert link["Clicks"] == 0 and link["LastClickAt"] is None and link["PlaceId"] == PLACE
    for _ in range(3):
        assert requests.get(link["Url"], allow_redirects=False, timeout=10).status_code == 302
    [after] = data(api.get(f"campaigns/{c['CampaignId']}/links"))
    assert after["Clicks"] == 3 and after["LastClickAt"] and after["Target"].endswith(f"placeid={PLACE}")

    plain = data(api.post("messages/sendereviewmulticontact", {"To": [book.p1], "Body": "Review us",
                                                               "GooglePlaceId": PLACE}))
    assert data(api.get(f"campaigns/{plain['CampaignId']}/links")) == []
    other = Api(api.base_url, new_tenant().key)
    assert other.get(f"campaigns/{c['CampaignId']}/links").status_code == 404
