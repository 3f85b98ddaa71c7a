"""The pipeline through the real twilio client and a fake Twilio on 127.0.0.1: fan-out,
faults, permanent errors and delivery receipts."""

from __future__ import annotations


import pytest

from tests.messaging.helpers import data, wait_campaign
from tests.support.app_env import texting_through_fake_twilio
from tests.support.fake_twilio import FakeTwilio
from tests.support.tenants import new_phone


@pytest.fixture(scope="module")
def fake(host):  # noqa: ANN001, ANN201
    """Point the app (served in-process by the session's devhost) at a fake Twilio."""
    with texting_through_fake_twilio(host, {"SMS_TIMEOUT_SECONDS": "1", "SEND_STUCK_SECONDS": "3"},
                                     stall_seconds=2.0) as twilio:
        yield twilio


def counts_for(twilio: FakeTwilio, campaign_id: str) -> dict[str, int]:
    """Texts per number for one campaign (other tests' stragglers may reach the fake too)."""
    counts: dict[str, int] = {}
    for m in twilio.messages:
        if f"c={campaign_id}" in (m.status_callback or ""):
            counts[m.to] = counts.get(m.to, 0) + 1
    return counts


@pytest.fixture()
def twilio(fake):  # noqa: ANN001, ANN201
    fake.reset()
    fake.fail_rate, fake.latency, fake.capacity, fake.permanent = 0.0, 0.0, None, {}
    fake.next_faults, fake.list_failures = [], 0
    return fake


def test_500_member_group_gets_exactly_500_provider_calls(api, twilio):
    phones = [new_phone("917") for _ in range(500)]
    group = data(api.post("groups", {"Name": "Everyone", "Contacts": phones}))
    assert group["ContactsCount"] == 500
    c = data(api.post("messages/sendsinglegroup", {"To": group["GroupId"], "Body": "Big news"}))
    done = wait_campaign(api, c["CampaignId"], timeout=120)
    assert done["SentCount"] == 500
    counts = counts_for(twilio, c["CampaignId"])
    assert sorted(counts) == sorted(phones) and set(counts.values()) == {1}
    assert sum(counts.values()) == 500


def test_faults_retry_until_all_delivered_none_twice(api, twilio):
    twilio.fail_rate = 0.2
    twilio.fail_kinds = ("429", "500", "timeout", "timeout_after_accept")
    phones = [new_phone("929") for _ in range(60)]
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": ",".join(phones), "Body": "Flaky"}))
    done = wait_campaign(api, c["CampaignId"], timeout=180)
    assert done["SentCount"] == 60 and done["UndeliveredCount"] == 0
    counts = counts_for(twilio, c["CampaignId"])
    assert sorted(counts) == sorted(phones)
    assert set(counts.values()) == {1}, {p: n for p, n in counts.items() if n != 1}
    kinds = {a.outcome for a in twilio.attempts}
    assert len(twilio.attempts) > 60 and len(kinds) > 1  # faults really happened


def test_failed_reconciliation_keeps_the_text_uncertain_and_never_sends_twice(api, twilio):
    """The call timed out after Twilio accepted the text; the check "did it go out?" then fails
    too, again and again (429 on the listing). Every later attempt must check again, from the
    moment of the first call, not send blindly."""
    # 4 failed checks: with backoff the last check starts > 10 s after the text went out
    twilio.next_faults, twilio.list_failures = ["timeout_after_accept"], 4
    p = new_phone()
    c = data(api.post("messages/sendsimple", {"To": p, "Body": "Exactly once"}))
    done = wait_campaign(api, c["CampaignId"], timeout=120)
    assert done["SentCount"] == 1
    assert counts_for(twilio, c["CampaignId"]) == {p: 1}
    listings = [a.outcome for a in twilio.attempts if a.method == "GET"]
    assert listings[0] == "429" and "listed" in listings  # the scenario really happened


def test_invalid_number_21211_is_counted_undelivered(api, twilio):
    bad, good = new_phone(), new_phone()
    twilio.permanent = {bad: 21211}
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": f"{bad},{good}", "Body": "Hi"}))
    done = wait_campaign(api, c["CampaignId"])
    assert (done["SentCount"], done["UndeliveredCount"], done["FailedCount"]) == (1, 1, 1)
    recipients = {r["Phone"]: r for r in data(api.get(f"campaigns/{c['CampaignId']}/recipients"))}
    assert recipients[bad]["Status"] == "failed" and recipients[bad]["ErrorCode"] == "21211"
    assert recipients[good]["Status"] == "queued" and recipients[good]["ProviderSid"].startswith("SM")
    assert len([a for a in twilio.attempts if a.to == bad]) == 1  # permanent: never retried


def test_provider_gets_from_number_and_status_callback(api, tenant, twilio, host):
    p = new_phone()
    c = data(api.post("messages/sendsimple", {"To": p, "Body": "Callback please"}))
    wait_campaign(api, c["CampaignId"])
    (m,) = [m for m in twilio.messages if m.to == p]
    assert m.from_ == tenant.phone and m.body == "Callback please"
    assert m.status_callback.startswith(f"{host.base_url}/api/twilio/status?")


def _callback(api, twilio, url: str, params: dict[str, str], signature: str | None = None):
    from twilio.request_validator import RequestValidator

    sig = signature or RequestValidator(twilio.auth_token).compute_signature(url, params)
    return api.session.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=10)


def test_status_callbacks_are_signed_and_monotonic(api, twilio):
    p = new_phone()
    c = data(api.post("messages/sendsimple", {"To": p, "Body": "Track me"}))
    wait_campaign(api, c["CampaignId"])
    (m,) = [m for m in twilio.messages if m.to == p]
    url = m.status_callback
    base = {"MessageSid": m.sid, "AccountSid": twilio.account_sid, "To": p, "From": m.from_}
    forged = _callback(api, twilio, url, {**base, "MessageStatus": "delivered"}, signature="bm90IHJpZ2h0")
    assert forged.status_code == 403
    tampered = _callback(api, twilio, url.replace(p.lstrip("+"), new_phone().lstrip("+")),
                         {**base, "MessageStatus": "delivered"},
                         signature=__import__("twilio.request_validator", fromlist=["x"]).RequestValidator(
                             twilio.auth_token).compute_signature(url, {**base, "MessageStatus": "delivered"}))
    assert tampered.status_code == 403
    assert data(api.get(f"campaigns/{c['CampaignId']}/recipients"))[0]["Status"] == "queued"
    assert _callback(api, twilio, url, {**base, "MessageStatus": "delivered"}).status_code == 200
    assert _callback(api, twilio, url, {**base, "MessageStatus": "sent"}).status_code == 200  # late
    r = data(api.get(f"campaigns/{c['CampaignId']}/recipients"))[0]
    assert r["Status"] == "delivered"
    assert data(api.get(f"campaigns/{c['CampaignId']}"))["DeliveredCount"] == 1


def test_undelivered_receipt_counts_and_wait_finishes(api, twilio):
    p = new_phone()
    res = api.post("campaigns/sendandwait", {"To": [p], "Body": "Wait"})
    assert res.status_code == 202
    cid = res.json()["Data"]["CampaignId"]
    wait_campaign(api, cid)
    assert api.get(f"campaigns/{cid}/status").status_code == 202  # accepted, no receipt yet
    (m,) = [m for m in twilio.messages if m.to == p]
    params = {"MessageSid": m.sid, "MessageStatus": "undelivered", "ErrorCode": "30003", "To": p}
    assert _callback(api, twilio, m.status_callback, params).status_code == 200
    final = api.get(f"campaigns/{cid}/status")
    assert final.status_code == 200 and final.json()["Data"]["UndeliveredCount"] == 1
