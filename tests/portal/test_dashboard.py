"""The review dashboard in Chromium: review requests sent through the API with tracked links,
delivery receipts through Twilio's signed status callback, link clicks through the short link;
the dashboard's totals, its place filter and its CSV equal what the API's ListCampaigns says.

Served, as in test_conversations, by an in-process devhost running the queue functions."""

from __future__ import annotations

import csv
import io

from tests.inbound.helpers import wait_until
from tests.messaging.helpers import data, wait_campaign
from tests.portal.test_conversations import live, page  # noqa: F401 - the same fixtures
from tests.support.browser import shoot


def _receipt(api, fake, message, status: str) -> None:  # noqa: ANN001
    from twilio.request_validator import RequestValidator

    params = {"MessageSid": message.sid, "MessageStatus": status, "To": message.to,
              "AccountSid": fake.account_sid, "From": message.from_ or ""}
    sig = RequestValidator(fake.auth_token).compute_signature(message.status_callback, params)
    res = api.session.post(message.status_callback, data=params, headers={"X-Twilio-Signature": sig}, timeout=10)
    assert res.status_code == 200, res.text


def _api_totals(api, place: str | None = None) -> dict[str, int]:  # noqa: ANN001
    """What the API says: the review campaigns ListCampaigns lists, each as GetCampaign counts it."""
    reviews = [data(api.get(f"campaigns/{c['CampaignId']}")) for c in data(api.get("campaigns"))
               if c["Type"] == "Review" and (place is None or c["PlaceId"] == place)]
    return {"sent": sum(c["SentCount"] for c in reviews), "delivered": sum(c["DeliveredCount"] for c in reviews),
            "clicks": sum(c["LinkClicks"] for c in reviews)}


def _shown(page) -> dict[str, int]:  # noqa: ANN001
    return {k: int(page.locator(f'[data-total="{k}"]').inner_text()) for k in ("sent", "delivered", "clicks")}


def test_the_dashboard_equals_the_api(page, business, live) -> None:  # noqa: ANN001, F811
    from shared_code.accounts import keys
    from shared_code.addressbook import places
    from shared_code.addressbook.models import CreatePlaceBody
    from tests.support.client import Api
    from tests.support.tenants import new_phone

    dev, fake = live
    _key, secret = keys.create_key(business.account_id, "dashboard test", 30)
    api = Api(dev.base_url, secret)
    main_st = "ChIJN1t_tDeuEmsRUsoyG83frY4"
    harbour = "ChIJ3S-JXmauEmsRUcIaWtf4MzE"
    places.create(business.caller, CreatePlaceBody(GooglePlaceId=main_st, Name="Main St <b>clinic</b>"))
    places.create(business.caller, CreatePlaceBody(GooglePlaceId=harbour, Name="Harbour clinic"))
    a, b, c = new_phone("415"), new_phone("415"), new_phone("415")
    first = data(api.post("send/reviewrequest", {"Numbers": [a, b], "Body": "How did we do?", "PlaceId": main_st,
                                                 "TrackLink": True}))
    second = data(api.post("send/reviewrequest", {"Numbers": [c], "Body": "Tell us!", "PlaceId": harbour,
                                                  "TrackLink": True}))
    data(api.post("send/text", {"Numbers": [c], "Body": "Not a review request"}))
    for made in (first, second):
        wait_campaign(api, made["CampaignId"], timeout=30)
    for number in (a, b):
        _receipt(api, fake, next(m for m in fake.messages if m.to == number and "How did we do?" in m.body), "delivered")
    link = data(api.get(f"campaigns/{first['CampaignId']}/links"))[0]["Url"]
    clicked = api.session.get(link, allow_redirects=False, timeout=10)
    assert clicked.status_code in (301, 302, 303, 307), clicked.status_code
    assert wait_until(lambda: _api_totals(api) == {"sent": 3, "delivered": 2, "clicks": 1}, timeout=10)

    page.goto("/dashboard")
    assert _shown(page) == _api_totals(api) == {"sent": 3, "delivered": 2, "clicks": 1}
    assert page.locator('[data-total="ctr"]').inner_text() == "50.0 %"
    rows = [r.split("\t") for r in page.locator("table.review-stats tbody tr").all_inner_texts()]
    assert sorted(rows) == sorted([["Harbour clinic", "1", "1", "0", "0", "—"],
                                   ["Main St <b>clinic</b>", "1", "2", "2", "1", "50.0 %"]])
    shoot(page, "dashboard")
    page.get_by_label("Place", exact=True).select_option(label="Harbour clinic")
    page.get_by_role("button", name="Show").click()
    assert _shown(page) == _api_totals(api, harbour) == {"sent": 1, "delivered": 0, "clicks": 0}
    csv_text = page.request.get(page.locator("a", has_text="Export as CSV").get_attribute("href")).text()
    table = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert table[0] == ["Place", "GooglePlaceId", "From", "To", "Campaigns", "Sent", "Delivered", "Clicks", "CTR"]
    assert [r[0] for r in table[1:]] == ["Harbour clinic", "All places"]
    assert table[-1][5:8] == ["1", "0", "0"]
    page.goto("/dashboard?from=2026-13-01")
    assert page.get_by_role("alert").inner_text() == "from: '2026-13-01' is not a date (use YYYY-MM-DD)."
