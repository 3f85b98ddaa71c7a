"""The two general actions a maker sees first, "Send a text" (SendText) and "Send a review
request" (SendReviewRequest): contacts, groups and numbers in one step, each person texted once
through the real twilio client to the fake Twilio; bad input is a 4xx naming the field; they run
on the same campaign service (schedule, reminders, review link, idempotency) as the 36 originals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.messaging.helpers import PLACE, data, make_book, utc_now, wait_campaign
from tests.support.app_env import texting_through_fake_twilio
from tests.support.fake_twilio import FakeTwilio
from tests.support.tenants import new_phone

REVIEW_LINK = f"https://search.google.com/local/writereview?placeid={PLACE}"


@pytest.fixture(scope="module")
def fake(host):  # noqa: ANN001, ANN201
    """Point the app (served in-process by the session's devhost) at a fake Twilio."""
    with texting_through_fake_twilio(host) as twilio:
        yield twilio


@pytest.fixture()
def twilio(fake):  # noqa: ANN001, ANN201
    fake.reset()
    return fake


def texts_of(twilio: FakeTwilio, campaign_id: str) -> dict[str, list]:
    """What each number received for one campaign."""
    out: dict[str, list] = {}
    for m in twilio.messages:
        if f"c={campaign_id}" in (m.status_callback or ""):
            out.setdefault(m.to, []).append(m)
    return out


def test_send_text_reaches_a_contact_a_group_and_a_number_each_once(api, twilio):
    book = make_book(api)  # Ann (p1), Ben (p2); the group holds p2 and a third number
    stranger = new_phone()
    sent = data(api.post("send/text", {"To": [book.p1, book.p2], "Groups": [book.group_id],
                                       "Numbers": [stranger, book.p1], "Body": "Open late tonight"}))
    assert sent["Status"] == "Queued" and sent["Type"] == "Message" and sent["IsReminder"] is False
    done = wait_campaign(api, sent["CampaignId"])
    got = texts_of(twilio, sent["CampaignId"])
    expect = {book.p1, book.p2, stranger, *book.group_phones}
    assert sorted(got) == sorted(expect)
    assert {n: len(ms) for n, ms in got.items()} == {n: 1 for n in expect}  # p1 and p2 named twice: once each
    assert {m.body for ms in got.values() for m in ms} == {"Open late tonight"}
    assert done["SentCount"] == len(expect)


def test_send_text_with_a_place_media_and_a_retry_sends_once(api, twilio):
    book = make_book(api)
    body = {"Numbers": book.p1, "Body": "Thanks!", "PlaceId": PLACE, "MediaUrl": "https://example.com/menu.jpg"}
    first = api.post("send/text", body, headers={"Idempotency-Key": "general-1"})
    again = api.post("send/text", body, headers={"Idempotency-Key": "general-1"})
    assert data(again)["CampaignId"] == data(first)["CampaignId"]
    sent = data(first)
    assert sent["Type"] == "MMS" and sent["PlaceId"] == PLACE and sent["Body"].endswith(REVIEW_LINK)
    wait_campaign(api, sent["CampaignId"])
    [message] = texts_of(twilio, sent["CampaignId"])[book.p1]
    assert message.media_urls == ("https://example.com/menu.jpg",) and message.body.endswith(REVIEW_LINK)


def test_send_text_scheduled_and_as_reminders(api):
    book = make_book(api)
    later = (utc_now() + timedelta(days=2)).replace(microsecond=0)
    scheduled = data(api.post("send/text", {"To": [book.p1], "Body": "Later",
                                            "ScheduledAt": later.isoformat().replace("+00:00", "Z")}))
    assert scheduled["Status"] == "Scheduled" and scheduled["SendDate"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    event = (later + timedelta(days=5)).strftime("%Y-%m-%d")
    reminder = data(api.post("send/text", {"Groups": [book.group_id], "Body": "See you", "EventDate": event,
                                           "Day": 1, "Time": "09:00", "ExtraDaysBefore": [3]}))
    assert reminder["IsReminder"] is True and len(reminder["Reminders"]) == 2
    assert {r["Status"] for r in reminder["Reminders"]} == {"Scheduled"}


def test_send_review_request_to_contacts_groups_and_numbers(api, twilio):
    book = make_book(api)
    stranger = new_phone()
    sent = data(api.post("send/reviewrequest", {"To": [book.p1], "Groups": [book.group_id], "Numbers": [stranger],
                                                "Body": "How did we do?", "PlaceId": PLACE}))
    assert sent["Type"] == "Review" and sent["PlaceId"] == PLACE
    wait_campaign(api, sent["CampaignId"])
    got = texts_of(twilio, sent["CampaignId"])
    assert sorted(got) == sorted({book.p1, stranger, *book.group_phones})
    assert all(len(ms) == 1 and ms[0].body == f"How did we do?\n{REVIEW_LINK}" for ms in got.values())


@pytest.mark.parametrize(("route", "body", "field", "status"), [
    ("send/text", {"Body": "Nobody to text"}, "To", 400),
    ("send/text", {"Numbers": ["12"], "Body": "x"}, "Numbers[0]", 400),
    ("send/text", {"Groups": ["01JDNOSUCHGROUP00000000000"], "Body": "x"}, "Groups[0]", 404),
    ("send/text", {"To": ["01JDNOSUCHCONTACT000000000"], "Body": "x"}, "To[0]", 404),
    ("send/text", {"Numbers": "+14155550100"}, "Body", 400),
    ("send/text", {"Numbers": "+14155550100", "Body": "x", "MediaUrl": "file:///etc/passwd"}, "MediaUrl", 400),
    ("send/text", {"Numbers": "+14155550100", "Body": "x", "ScheduledAt": "tomorrow-ish"}, "ScheduledAt", 400),
    ("send/text", {"Numbers": "+14155550100", "Body": "x", "EventDate": "2030-01-05"}, "Day", 400),
    ("send/reviewrequest", {"Numbers": "+14155550100", "Body": "x"}, "PlaceId", 400),
    ("send/reviewrequest", {"Numbers": "+14155550100", "Body": "x", "PlaceId": "nowhere"}, "PlaceId", 404),
])
def test_bad_input_is_a_4xx_naming_the_field(api, twilio, route, body, field, status):
    res = api.post(route, body)
    assert res.status_code == status, res.text
    payload = res.json()
    assert payload["Success"] is False and payload["Error"]["Field"] == field, payload
    assert twilio.messages == []
