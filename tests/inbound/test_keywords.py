"""STOP/START/HELP: the opt-out takes effect at once (also for campaigns already dispatched),
replies go out once (never when Twilio already answered), manual changes are audited."""

from __future__ import annotations

import time

from tests.inbound.helpers import data, opted_out, text, text_params, wait_until
from tests.messaging.helpers import wait_campaign
from tests.support.tenants import new_phone


def campaign_texts(fake, campaign_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in fake.messages:
        if f"c={campaign_id}" in (m.status_callback or ""):
            counts[m.to] = counts.get(m.to, 0) + 1
    return counts


def replies_to(fake, phone: str) -> list[str]:
    """The automatic replies: no campaign's texts (their receipts name the keyword reply's row)."""
    return [m.body for m in fake.messages if m.to == phone and "c=" not in (m.status_callback or "")]


def recipient(api, campaign_id: str, phone: str) -> dict:
    return next(r for r in data(api.get(f"campaigns/{campaign_id}/recipients")) if r["Phone"] == phone)


def test_stop_skips_later_sends_and_start_resumes_them(api, tenant, fake, fast_host):
    x, y = new_phone(), new_phone()
    text(fast_host, fake, text_params(x, tenant.phone, " stop "))
    assert wait_until(lambda: opted_out(api, x))
    # the confirmation, once, from the account's number
    assert wait_until(lambda: replies_to(fake, x))
    assert len(replies_to(fake, x)) == 1 and "unsubscribed" in replies_to(fake, x)[0]
    assert next(m for m in fake.messages if m.to == x).from_ == tenant.phone

    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": f"{x},{y}", "Body": "Sale today"}))
    done = wait_campaign(api, c["CampaignId"])
    assert done["SkippedCount"] == 1 and done["SentCount"] == 1
    assert campaign_texts(fake, c["CampaignId"]) == {y: 1}
    assert recipient(api, c["CampaignId"], x)["Status"] == "skipped"

    text(fast_host, fake, text_params(x, tenant.phone, "START"))
    assert wait_until(lambda: not opted_out(api, x))
    assert wait_until(lambda: len(replies_to(fake, x)) == 2)
    c2 = data(api.post("messages/sendtomulticontact", {"ContactNumber": f"{x},{y}", "Body": "Sale again"}))
    done = wait_campaign(api, c2["CampaignId"])
    assert done["SkippedCount"] == 0 and campaign_texts(fake, c2["CampaignId"]) == {x: 1, y: 1}
    history = data(api.get("optouts/check", params={"Phone": x}))["History"]
    assert [(h["Action"], h["Keyword"], h["Source"]) for h in history] == [("optin", "START", "keyword"),
                                                                         ("optout", "STOP", "keyword")]
    assert all(h["MessageId"] and h["Replied"] for h in history)


def test_stop_reaches_a_campaign_dispatched_before_it(api, tenant, fake, fast_host):
    """Recipients already dispatched (pending, waiting on provider retries) are not texted
    once the STOP is processed: skipped at send time and counted."""
    x, y = new_phone(), new_phone()
    fake.fail_rate, fake.fail_kinds = 1.0, ("429",)  # every send is retried with backoff
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": f"{x},{y}", "Body": "Last call"}))
    assert wait_until(lambda: any(a.to == x for a in fake.attempts), timeout=15)  # dispatched, tried
    text(fast_host, fake, text_params(x, tenant.phone, "Unsubscribe"))
    assert wait_until(lambda: opted_out(api, x))
    fake.fail_rate = 0.0
    done = wait_campaign(api, c["CampaignId"], timeout=60)
    assert done["SkippedCount"] == 1 and done["SentCount"] == 1
    assert campaign_texts(fake, c["CampaignId"]) == {y: 1}
    r = recipient(api, c["CampaignId"], x)
    assert r["Status"] == "skipped" and r["ErrorCode"] == "OptedOut"


def test_help_is_answered_with_the_account_help_text(api, tenant, fake, fast_host):
    x = new_phone()
    text(fast_host, fake, text_params(x, tenant.phone, "Help"))
    assert wait_until(lambda: replies_to(fake, x))
    time.sleep(1.0)
    replies = replies_to(fake, x)
    assert len(replies) == 1 and "Reply STOP to unsubscribe" in replies[0] and replies[0].startswith("Acme Dental")
    assert not opted_out(api, x)
    assert data(api.get("optouts/check", params={"Phone": x}))["History"][0]["Action"] == "help"


def test_twilio_advanced_opt_out_is_recorded_without_a_second_reply(api, tenant, fake, fast_host):
    x = new_phone()
    text(fast_host, fake, text_params(x, tenant.phone, "STOP", OptOutType="STOP"))
    assert wait_until(lambda: opted_out(api, x))
    state = data(api.get("optouts/check", params={"Phone": x}))
    assert state["Source"] == "twilio" and state["Keyword"] == "STOP"
    assert state["History"][0]["Replied"] is False
    time.sleep(1.5)
    assert replies_to(fake, x) == []


def test_keyword_must_be_the_whole_body(api, tenant, fake, fast_host):
    x = new_phone()
    text(fast_host, fake, text_params(x, tenant.phone, "please stop texting me"))
    assert wait_until(lambda: data(api.get("received", params={"From": x})))
    time.sleep(0.5)
    assert not opted_out(api, x) and replies_to(fake, x) == []
    assert data(api.get("received", params={"From": x}))[0]["Keyword"] == ""


def test_manual_opt_out_and_in_are_audited(api, tenant, fake):
    x = new_phone()
    out = data(api.post("optouts/optout", {"Phone": x, "Reason": "asked by phone"}))
    assert out["OptedOut"] is True and out["Source"] == "manual" and out["ChangedBy"] == "tests"
    assert x in [o["Phone"] for o in data(api.get("optouts"))]
    c = data(api.post("messages/sendsimple", {"To": x, "Body": "hello"}))
    assert wait_campaign(api, c["CampaignId"])["SkippedCount"] == 1
    back = data(api.post("optouts/optin", {"Phone": x, "Reason": "consent form"}))
    assert back["OptedOut"] is False
    assert x not in [o["Phone"] for o in data(api.get("optouts"))]
    history = data(api.get("optouts/check", params={"Phone": x}))["History"]
    assert [(h["Action"], h["ChangedBy"], h["Reason"]) for h in history] == [
        ("optin", "tests", "consent form"), ("optout", "tests", "asked by phone")]
    bad = api.post("optouts/optout", {"Phone": "12"})
    assert bad.status_code == 400 and bad.json()["Error"]["Field"] == "Phone"
    assert api.get("optouts/check").json()["Error"]["Field"] == "Phone"


def test_opt_outs_are_per_account_and_paged(make_api, fake):
    from tests.support.tenants import new_tenant

    a, b = make_api(new_tenant("A").key), make_api(new_tenant("B").key)
    phones = sorted(new_phone() for _ in range(3))
    for p in phones:
        data(a.post("optouts/optout", {"Phone": p}))
    assert data(b.get("optouts")) == [] and not opted_out(b, phones[0])
    first = a.get("optouts", params={"top": 2}).json()
    assert [o["Phone"] for o in first["Data"]] == phones[:2] and "skiptoken=" in first["NextLink"]
    rest = a.session.get(first["NextLink"], timeout=10).json()
    assert [o["Phone"] for o in rest["Data"]] == phones[2:] and "NextLink" not in rest


def test_a_dressed_up_stop_opts_out_through_the_webhook(api, tenant, fake, fast_host):
    """What phones send: a full stop, a zero-width space, full-width letters."""
    senders = {new_phone(): "STOP.", new_phone(): "stop\u200b", new_phone(): "ＳＴＯＰ"}
    for x, body in senders.items():
        text(fast_host, fake, text_params(x, tenant.phone, body))
    for x in senders:
        assert wait_until(lambda: opted_out(api, x)), senders[x]
        state = data(api.get("optouts/check", params={"Phone": x}))
        assert state["Keyword"] == "STOP" and state["Source"] == "keyword"
    assert wait_until(lambda: all(len(replies_to(fake, x)) == 1 for x in senders))
