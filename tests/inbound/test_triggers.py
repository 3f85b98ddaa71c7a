"""The polling trigger (Power Automate's batch polling protocol) and the delivery-status
webhook trigger."""

from __future__ import annotations

import requests

from tests.inbound.helpers import data, subscribe, text, text_params, wait_until
from tests.messaging.helpers import wait_campaign
from tests.support.tenants import new_phone


def test_polling_trigger_202_then_200_with_the_new_text_then_202(api, tenant, fake, fast_host, clock):
    first = api.get("triggers/receivedtexts")
    assert first.status_code == 202 and first.json()["Data"] == []
    assert first.headers["Retry-After"] and "cursor=" in first.headers["Location"]
    location = first.headers["Location"]
    assert location.startswith(fast_host.base_url + "/api/triggers/receivedtexts?")
    sender = new_phone()
    clock.advance(seconds=1)
    text(fast_host, fake, text_params(sender, tenant.phone, "poll me"))
    assert wait_until(lambda: data(api.get("received", params={"From": sender})))
    # too fresh to hand out yet (a slower write could still land before it): 202, same cursor
    settling = api.session.get(location, timeout=10)
    assert settling.status_code == 202 and settling.headers["Location"] == location
    clock.advance(seconds=6)
    got = api.session.get(location, timeout=10)
    assert got.status_code == 200, got.text
    # a batch trigger's 200 is the bare array the platform splits into one run per text
    assert isinstance(got.json(), list) and [m["Body"] for m in got.json()] == ["poll me"]
    assert got.headers["Location"] != location and got.headers["Retry-After"]
    after = api.session.get(got.headers["Location"], timeout=10)
    assert after.status_code == 202 and after.json()["Data"] == []
    # a filter that keeps nothing still moves the cursor on
    text(fast_host, fake, text_params(sender, tenant.phone, "second"))
    assert wait_until(lambda: len(data(api.get("received", params={"From": sender}))) == 2)
    clock.advance(seconds=6)
    mms_only = api.get("triggers/receivedtexts", params={"cursor": _cursor(after.headers["Location"]), "Kind": "mms"})
    assert mms_only.status_code == 202 and mms_only.headers["Location"] != after.headers["Location"]
    assert "Kind=mms" in mms_only.headers["Location"]


def test_polling_trigger_rejects_a_cursor_it_did_not_issue(api):
    res = api.get("triggers/receivedtexts", params={"cursor": "not-ours!"})
    assert res.status_code == 400 and res.json()["Error"]["Field"] == "cursor"
    res = api.get("triggers/receivedtexts", params={"Kind": "fax"})
    assert res.status_code == 400 and res.json()["Error"]["Field"] == "Kind"


def _cursor(location: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(location).query)["cursor"][0]


def test_received_texts_are_listed_newest_first_and_paged(api, tenant, fake, fast_host):
    sender = new_phone()
    for body in ("one", "two", "three"):
        text(fast_host, fake, text_params(sender, tenant.phone, body))
        assert wait_until(lambda b=body: b in [m["Body"] for m in data(api.get("received", params={"From": sender}))])
    page = api.get("received", params={"From": sender, "top": 2}).json()
    assert [m["Body"] for m in page["Data"]] == ["three", "two"]
    rest = api.session.get(page["NextLink"], timeout=10).json()
    assert [m["Body"] for m in rest["Data"]] == ["one"]
    assert api.get("received/01JDNOSUCHMESSAGE000000000").status_code == 404


def test_delivery_status_trigger_fires_on_delivered_and_undelivered(api, tenant, receiver, fake, fast_host):
    from twilio.request_validator import RequestValidator

    path, only_bad = receiver.new_path(), receiver.new_path()
    sub, _ = subscribe(api, receiver.url(path), route="twilio/statusregistration")
    assert sub["Kind"] == "status" and sorted(sub["Statuses"]) == ["delivered", "failed", "undelivered"]
    subscribe(api, receiver.url(only_bad), route="twilio/statusregistration", Statuses="undelivered")
    good, bad = new_phone(), new_phone()
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": f"{good},{bad}", "Body": "Receipt test"}))
    wait_campaign(api, c["CampaignId"])
    session = requests.Session()
    session.trust_env = False
    for m in [m for m in fake.messages if f"c={c['CampaignId']}" in (m.status_callback or "")]:
        params = {"MessageSid": m.sid, "MessageStatus": "delivered" if m.to == good else "undelivered",
                  "To": m.to, "From": m.from_ or "", "AccountSid": fake.account_sid}
        if m.to == bad:
            params["ErrorCode"] = "30003"
        sig = RequestValidator(fake.auth_token).compute_signature(m.status_callback, params)
        assert session.post(m.status_callback, data=params, headers={"X-Twilio-Signature": sig}).status_code == 200
    hits = receiver.wait(path, count=2)
    events = {h.json["To"]: h.json for h in hits}
    assert events[good]["Status"] == "delivered" and events[bad]["Status"] == "undelivered"
    assert events[bad]["ErrorCode"] == "30003" and events[good]["CampaignId"] == c["CampaignId"]
    assert all(h.signed_with(sub["Secret"]) and h.json["EventType"] == "message.status" for h in hits)
    assert [h.json["To"] for h in receiver.wait(only_bad)] == [bad]
    # a repeated receipt changes nothing and fires nothing
    m = next(m for m in fake.messages if m.to == good and m.status_callback)
    params = {"MessageSid": m.sid, "MessageStatus": "delivered", "To": m.to, "AccountSid": fake.account_sid}
    sig = RequestValidator(fake.auth_token).compute_signature(m.status_callback, params)
    session.post(m.status_callback, data=params, headers={"X-Twilio-Signature": sig})
    import time

    time.sleep(1.0)
    assert len(receiver.hits(path)) == 2 and len(receiver.hits(only_bad)) == 1
