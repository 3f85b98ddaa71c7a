"""Quiet hours: marketing texts reach a recipient only inside the account's window of their
local time, else they are held (visible per recipient) and go out when it opens; transactional
texts go at once. The window arithmetic across zones and the nights US clocks change, then the
pipeline on Azurite with the injectable clock (the session's devhost runs in this process, so it
reads the same clock) and the fake Twilio."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from shared_code.accounts.models import Account
from shared_code.messaging.quiet_hours import Window, held_until, zone_for
from tests.messaging.helpers import data
from tests.support.app_env import texting_through_fake_twilio
from tests.support.fake_twilio import FakeTwilio

UTC = timezone.utc
EAST, WEST, UK, IDAHO = "+12125550123", "+14155550123", "+442079460000", "+12085550123"  # Idaho: Boise + LA
TOLL_FREE = "+18005550100"  # dozens of zones


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def account(**kw: Any) -> Account:
    return Account(AccountId="a", Name="Acme", Phone="+16285550100", CreatedAt=utc(2026, 1, 1), **kw)


# ---------------------------------------------------------------- the window arithmetic

@pytest.mark.parametrize("phone,now,opens", [
    # New York, winter (UTC-5): 23:00 local -> next day 08:00 local = 13:00 UTC
    (EAST, utc(2026, 12, 2, 4, 0), utc(2026, 12, 2, 13, 0)),
    # New York, 06:30 local: today 08:00
    (EAST, utc(2026, 12, 2, 11, 30), utc(2026, 12, 2, 13, 0)),
    # Los Angeles, winter (UTC-8): 21:00 local exactly is outside -> next day 16:00 UTC
    (WEST, utc(2026, 12, 2, 5, 0), utc(2026, 12, 2, 16, 0)),
    # London, summer (BST, UTC+1): 23:00 local -> 08:00 BST = 07:00 UTC
    (UK, utc(2026, 7, 1, 22, 0), utc(2026, 7, 2, 7, 0)),
    # London, winter (GMT): 07:59 local -> 08:00
    (UK, utc(2026, 12, 2, 7, 59), utc(2026, 12, 2, 8, 0)),
])
def test_outside_the_window_opens_at_the_next_0800_local(phone: str, now: datetime, opens: datetime) -> None:
    until = held_until(account(), phone, now)
    assert until is not None and until[0] == opens
    assert "Quiet hours" in until[1] and zone_for(phone, "UTC").key in until[1]


@pytest.mark.parametrize("phone,now", [
    (EAST, utc(2026, 12, 2, 13, 0)),    # 08:00 New York: the window opens on the minute
    (EAST, utc(2026, 12, 3, 1, 59)),    # 20:59 New York
    (WEST, utc(2026, 12, 2, 20, 0)),    # 12:00 Los Angeles
    (UK, utc(2026, 7, 1, 19, 59)),      # 20:59 BST
])
def test_inside_the_window_sends_now(phone: str, now: datetime) -> None:
    assert held_until(account(), phone, now) is None


def test_the_same_instant_is_held_for_one_coast_and_not_the_other() -> None:
    now = utc(2026, 12, 2, 15, 0)  # 10:00 New York, 07:00 Los Angeles
    assert held_until(account(), EAST, now) is None
    assert held_until(account(), WEST, now)[0] == utc(2026, 12, 2, 16, 0)


def test_spring_forward_night_opens_at_0800_daylight_time() -> None:
    """2026-03-08: US clocks go 02:00 EST -> 03:00 EDT. Held at 23:00 EST on the 7th, the text
    goes at 08:00 EDT = 12:00 UTC (not 13:00, the winter offset)."""
    assert held_until(account(), EAST, utc(2026, 3, 8, 4, 0))[0] == utc(2026, 3, 8, 12, 0)
    assert held_until(account(), WEST, utc(2026, 3, 8, 7, 0))[0] == utc(2026, 3, 8, 15, 0)  # 23:00 PST -> 08:00 PDT


def test_fall_back_night_opens_at_0800_standard_time() -> None:
    """2026-11-01: 02:00 EDT -> 01:00 EST. Held at 23:00 EDT on Oct 31, the text goes at
    08:00 EST = 13:00 UTC; 01:30 local, which happens twice that night, is held both times."""
    assert held_until(account(), EAST, utc(2026, 11, 1, 3, 0))[0] == utc(2026, 11, 1, 13, 0)
    assert held_until(account(), EAST, utc(2026, 11, 1, 5, 30))[0] == utc(2026, 11, 1, 13, 0)  # 01:30 EDT
    assert held_until(account(), EAST, utc(2026, 11, 1, 6, 30))[0] == utc(2026, 11, 1, 13, 0)  # 01:30 EST
    assert held_until(account(), EAST, utc(2026, 11, 1, 12, 59)) is not None                      # 07:59 EST
    assert held_until(account(), EAST, utc(2026, 11, 1, 13, 0)) is None


def test_a_number_with_several_zones_uses_the_accounts_zone() -> None:
    chicago = account(TimeZone="America/Chicago")
    now = utc(2026, 12, 2, 13, 30)  # 07:30 Chicago, 06:30 Boise, 05:30 Los Angeles
    assert zone_for(IDAHO, "America/Chicago").key == "America/Chicago"
    assert zone_for(TOLL_FREE, "America/Chicago").key == "America/Chicago"
    assert held_until(chicago, IDAHO, now)[0] == utc(2026, 12, 2, 14, 0)  # 08:00 Chicago
    assert held_until(chicago, TOLL_FREE, now)[0] == utc(2026, 12, 2, 14, 0)


def test_the_accounts_own_window_and_switch() -> None:
    now = utc(2026, 12, 2, 14, 30)  # 09:30 New York
    late = account(QuietHoursStart="10:00", QuietHoursEnd="18:00")
    assert held_until(late, EAST, now)[0] == utc(2026, 12, 2, 15, 0)
    assert held_until(account(QuietHoursEnabled=False, QuietHoursStart="10:00"), EAST, now) is None


def test_a_window_across_midnight() -> None:
    night = Window.parse("22:00", "06:00")
    assert night.contains(datetime(2026, 1, 1, 23, 0).time()) and night.contains(datetime(2026, 1, 1, 5, 59).time())
    assert not night.contains(datetime(2026, 1, 1, 6, 0).time())
    shift = account(QuietHoursStart="22:00", QuietHoursEnd="06:00")
    assert held_until(shift, EAST, utc(2026, 12, 2, 17, 0))[0] == utc(2026, 12, 3, 3, 0)  # noon -> 22:00 EST


# ---------------------------------------------------------------- the setting, through the API

def test_quiet_hours_are_on_by_default_and_set_through_the_api(host, make_api) -> None:  # noqa: ANN001
    from tests.support.tenants import new_tenant

    api = make_api(new_tenant(quiet_hours=True).key)
    assert data(api.get("account/quiethours")) == {"Enabled": True, "Start": "08:00", "End": "21:00",
                                                   "TimeZone": "UTC"}
    saved = data(api.patch("account/quiethours", {"Start": "9:30", "End": "20:00"}))
    assert saved["Start"] == "09:30" and saved["End"] == "20:00" and saved["Enabled"] is True
    assert data(api.patch("account/quiethours", {"Enabled": False}))["Start"] == "09:30"
    assert data(api.get("account/quiethours"))["Enabled"] is False


@pytest.mark.parametrize("body,field", [({"Start": "25:00"}, "Start"), ({"End": "nine"}, "End"),
                                        ({"Start": "08:00", "End": "08:00"}, "End")])
def test_a_bad_window_is_a_400_naming_the_field(api, body: dict[str, str], field: str) -> None:  # noqa: ANN001
    res = api.patch("account/quiethours", body)
    assert res.status_code == 400, res.text
    assert res.json()["Error"]["Field"] == field
    assert data(api.get("account/quiethours"))["Start"] == "08:00"  # nothing saved


def test_the_portal_settings_page_shows_and_sets_quiet_hours(host) -> None:  # noqa: ANN001
    import re

    from shared_code.accounts.accounts import get_account
    from tests.support.portal_http import with_account

    client, account_id = with_account(host.base_url, "Quiet Cafe")
    page = client.get("/settings").text
    assert re.search(r'<option value="on" selected>', page)
    assert 'name="QuietHoursStart" type="time" value="08:00"' in page
    assert 'name="QuietHoursEnd" type="time" value="21:00"' in page
    a = get_account(account_id)
    form = {"Name": a.Name, "Phone": a.Phone, "TimeZone": "America/Chicago", "OptOutText": a.OptOutText,
            "HelpText": a.HelpText, "QuietHoursEnabled": "on", "QuietHoursStart": "09:00", "QuietHoursEnd": "20:30"}
    assert client.post("/settings", form).status_code == 200
    a = get_account(account_id)
    assert (a.QuietHoursEnabled, a.QuietHoursStart, a.QuietHoursEnd) == (True, "09:00", "20:30")
    client.get("/settings")
    bad = client.post("/settings", {**form, "QuietHoursEnd": "9pm"})
    assert bad.status_code == 400 and "QuietHoursEnd: &#39;9pm&#39; is not a time of day" in bad.text
    client.get("/settings")
    assert client.post("/settings", {**form, "QuietHoursEnabled": "off"}).status_code == 200
    a = get_account(account_id)
    assert (a.QuietHoursEnabled, a.QuietHoursEnd) == (False, "20:30")


# ---------------------------------------------------------------- the pipeline

@pytest.fixture(scope="module")
def fake(host):  # noqa: ANN001, ANN201
    with texting_through_fake_twilio(host) as twilio:
        yield twilio


@pytest.fixture()
def quiet_api(host, make_api, fake):  # noqa: ANN001, ANN201
    from tests.support.tenants import new_tenant

    fake.reset()
    fake.fail_rate, fake.latency, fake.capacity, fake.permanent = 0.0, 0.0, None, {}
    fake.next_faults, fake.list_failures = [], 0
    tenant = new_tenant(quiet_hours=True)
    return make_api(tenant.key), tenant


def texts_to(twilio: FakeTwilio, campaign_id: str) -> list[str]:
    return [m.to for m in twilio.messages if f"c={campaign_id}" in (m.status_callback or "")]


def recipients(api: Any, campaign_id: str) -> list[dict[str, Any]]:
    return data(api.get(f"campaigns/{campaign_id}/recipients"))


def held(api: Any, campaign_id: str, n: int = 1) -> list[dict[str, Any]]:
    """The campaign's recipients once all ``n`` show HeldUntil (the send batch right after
    dispatch holds them)."""
    def check() -> list[dict[str, Any]] | None:
        rows = recipients(api, campaign_id)
        return rows if len(rows) == n and all(r["HeldUntil"] for r in rows) else None

    return wait_for(check)


def wait_for(check: Any, timeout: float = 15) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "timed out"
            return value
        time.sleep(0.2)


def test_a_marketing_text_at_2300_local_is_held_until_0800_then_texted_once(quiet_api, fake, clock) -> None:
    """04:00 UTC: 23:00 in New York, 20:00 in Los Angeles. The group send texts the West Coast
    member at once and holds the New York one with HeldUntil = 08:00 New York; a send message
    that fires early changes nothing; at 08:00 the message (delivered twice, as a retry would)
    texts them once."""
    from shared_code.messaging.sending import send_batch

    api, tenant = quiet_api
    clock.at = utc(2026, 12, 2, 4, 0)
    east, west = "+12125550171", "+14155550172"
    group = data(api.post("groups", {"Name": "Both coasts", "Contacts": [east, west]}))
    c = data(api.post("messages/sendsinglegroup", {"To": group["GroupId"], "Body": "Half price today"}))
    cid = c["CampaignId"]
    wait_for(lambda: texts_to(fake, cid))
    [row] = wait_for(lambda: [r for r in recipients(api, cid) if r["HeldUntil"]])
    assert row["Phone"] == east and row["Status"] == "pending"
    assert row["HeldUntil"] == "2026-12-02T13:00:00.000Z"   # 08:00 EST
    assert "America/New_York" in row["HeldReason"] and "23:00" in row["HeldReason"]
    assert texts_to(fake, cid) == [west]
    assert data(api.get(f"campaigns/{cid}"))["PendingCount"] == 1

    clock.at = utc(2026, 12, 2, 12, 59, 59)
    send_batch(tenant.account_id, cid, [east])  # a message that fires before the window: nothing
    assert texts_to(fake, cid) == [west]
    clock.at = utc(2026, 12, 2, 13, 0)  # 08:00 New York
    send_batch(tenant.account_id, cid, [east, west])
    send_batch(tenant.account_id, cid, [east])  # the same message again
    assert sorted(texts_to(fake, cid)) == sorted([east, west])
    done = {r["Phone"]: r for r in recipients(api, cid)}
    assert done[east]["Status"] in ("queued", "sent", "delivered")
    assert done[east]["HeldUntil"] == "2026-12-02T13:00:00.000Z"  # it still says it waited
    assert done[west]["HeldUntil"] is None


def test_a_send_held_on_both_coasts_goes_out_at_each_coasts_0800(quiet_api, fake, clock) -> None:  # noqa: ANN001
    """05:30 UTC on the night US clocks spring forward (2026-03-08): 00:30 EST / 21:30 PST.
    New York opens at 08:00 EDT = 12:00 UTC, Los Angeles at 08:00 PDT = 15:00 UTC."""
    from shared_code.messaging.sending import send_batch

    api, tenant = quiet_api
    clock.at = utc(2026, 3, 8, 5, 30)
    east, west = "+12125550178", "+14155550179"
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": f"{east},{west}", "Body": "Spring sale"}))
    cid = c["CampaignId"]
    by_phone = {r["Phone"]: r["HeldUntil"] for r in held(api, cid, 2)}
    assert by_phone == {east: "2026-03-08T12:00:00.000Z", west: "2026-03-08T15:00:00.000Z"}
    clock.at = utc(2026, 3, 8, 12, 0)
    send_batch(tenant.account_id, cid, [east, west])
    assert texts_to(fake, cid) == [east]
    clock.at = utc(2026, 3, 8, 15, 0)
    send_batch(tenant.account_id, cid, [east, west])
    assert sorted(texts_to(fake, cid)) == sorted([east, west])


def test_the_transactional_override_sends_at_once(quiet_api, fake, clock) -> None:  # noqa: ANN001
    api, _ = quiet_api
    clock.at = utc(2026, 12, 2, 4, 0)  # 23:00 New York
    east = "+12125550173"
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": east, "Body": "Your appointment is at 9",
                                                      "Transactional": True}))
    wait_for(lambda: texts_to(fake, c["CampaignId"]))
    assert texts_to(fake, c["CampaignId"]) == [east]
    [row] = recipients(api, c["CampaignId"])
    assert row["HeldUntil"] is None and row["HeldReason"] == ""


def test_a_text_to_one_number_is_transactional_unless_told_otherwise(quiet_api, fake, clock) -> None:  # noqa: ANN001
    api, _ = quiet_api
    clock.at = utc(2026, 12, 2, 4, 0)  # 23:00 New York
    reply = data(api.post("messages/sendsimple", {"To": "+12125550174", "Body": "Thanks, see you"}))
    wait_for(lambda: texts_to(fake, reply["CampaignId"]))
    promo = data(api.post("messages/sendsimple", {"To": "+12125550175", "Body": "Sale!", "Transactional": False}))
    [row] = held(api, promo["CampaignId"])
    assert row["HeldUntil"] == "2026-12-02T13:00:00.000Z"
    assert texts_to(fake, promo["CampaignId"]) == []


def test_cancel_stops_held_texts(quiet_api, fake, clock) -> None:  # noqa: ANN001
    from shared_code.messaging.sending import send_batch

    api, tenant = quiet_api
    clock.at = utc(2026, 12, 2, 4, 0)
    east = "+12125550176"
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": east, "Body": "Sale!"}))
    held(api, c["CampaignId"])
    assert data(api.post(f"campaigns/{c['CampaignId']}/cancel", {}))["Status"] == "Cancelled"
    clock.at = utc(2026, 12, 2, 13, 0)
    send_batch(tenant.account_id, c["CampaignId"], [east])  # the held message fires
    assert texts_to(fake, c["CampaignId"]) == []
    [row] = recipients(api, c["CampaignId"])
    assert row["Status"] == "cancelled"


def test_quiet_hours_off_sends_at_once(quiet_api, fake, clock) -> None:  # noqa: ANN001
    api, _ = quiet_api
    clock.at = utc(2026, 12, 2, 4, 0)
    data(api.patch("account/quiethours", {"Enabled": False}))
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": "+12125550177", "Body": "Sale!"}))
    wait_for(lambda: texts_to(fake, c["CampaignId"]))


def test_send_a_text_to_one_number_is_a_reply_to_several_marketing(quiet_api, fake, clock) -> None:  # noqa: ANN001
    api, _ = quiet_api
    clock.at = utc(2026, 12, 2, 4, 0)  # 23:00 New York
    reply = data(api.post("send/text", {"Numbers": ["+12125550180"], "Body": "Yes, we are open tomorrow"}))
    wait_for(lambda: texts_to(fake, reply["CampaignId"]))
    promo = data(api.post("send/text", {"Numbers": ["+12125550181", "+12125550182"], "Body": "Sale!"}))
    assert {r["HeldUntil"] for r in held(api, promo["CampaignId"], 2)} == {"2026-12-02T13:00:00.000Z"}
    assert texts_to(fake, promo["CampaignId"]) == []
