"""FakeTwilio itself: Twilio's shapes, paging, filters, limits and repeatable faults."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.sms.helpers import SENDER, TO, msg
from tests.support.fake_twilio import FakeTwilio


def post(fake: FakeTwilio, auth: tuple[str, str] | None = None, **form: str) -> requests.Response:
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    return requests.post(url, data=form, auth=auth or (fake.account_sid, fake.auth_token), timeout=5)


def test_created_message_has_twilios_shape(fake):
    res = post(fake, To=TO, From=SENDER, Body="hi")
    assert res.status_code == 201
    data = res.json()
    assert data["sid"].startswith("SM") and len(data["sid"]) == 34
    assert (data["status"], data["to"], data["from"], data["body"]) == ("queued", TO, SENDER, "hi")
    assert data["error_code"] is None and data["date_sent"] is None
    assert data["num_segments"] == "1" and data["uri"].endswith(data["sid"] + ".json")
    parsed = datetime.strptime(data["date_created"], "%a, %d %b %Y %H:%M:%S %z")
    assert abs(parsed - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_bad_credentials_get_twilios_401(fake):
    res = post(fake, auth=(fake.account_sid, "nope"), To=TO, From=SENDER, Body="hi")
    assert res.status_code == 401
    assert res.json() == {"code": 20003, "message": "Authenticate", "status": 401,
                          "more_info": "https://www.twilio.com/docs/errors/20003"}
    assert fake.messages == [] and fake.attempts[0].outcome == "401"


def test_missing_fields_are_rejected(fake):
    assert post(fake, From=SENDER, Body="x").json()["code"] == 21604
    assert post(fake, To=TO, Body="x").json()["code"] == 21603
    assert post(fake, To=TO, From=SENDER).json()["code"] == 21602


def test_paging_through_the_real_client(fake, make_provider):
    provider = make_provider()
    for i in range(7):
        provider.send(msg(body=f"n{i}"))
    provider.send(msg(to="+15551239999"))
    listed = provider._messages.list(to=TO, page_size=3)
    assert [m.body for m in listed] == [f"n{i}" for i in reversed(range(7))]   # newest first
    pages = [a.params.get("Page", ["0"])[0] for a in fake.attempts if a.method == "GET"]
    assert pages == ["0", "1", "2"]


def test_date_sent_filters(fake, make_provider):
    provider = make_provider()
    provider.send(msg())
    today = datetime.now(timezone.utc).date()
    messages = provider._messages
    assert len(messages.list(date_sent_after=today)) == 1   # a date: on or after that midnight
    assert len(messages.list(date_sent_after=today + timedelta(days=1))) == 0
    assert len(messages.list(date_sent=today)) == 1
    assert len(messages.list(date_sent_before=today - timedelta(days=1))) == 0
    fake.mark_sent = False
    provider.send(msg())
    assert len(messages.list(date_sent_after=today)) == 1   # queued ones have no date_sent
    assert len(messages.list(to=TO)) == 2


def test_capacity_token_bucket(fake):
    fake.capacity = 5
    codes = [post(fake, To=TO, From=SENDER, Body="x").status_code for _ in range(8)]
    assert codes.count(201) == 5 and codes.count(429) == 3
    rejected = [a for a in fake.attempts if a.status == 429]
    assert len(rejected) == 3 and len(fake.messages) == 5


def test_seeded_faults_repeat(fake):
    def outcomes(seed: int) -> list[str]:
        with FakeTwilio(fail_rate=0.5, fail_kinds=("429", "500"), seed=seed) as other:
            for _ in range(12):
                post(other, To=TO, From=SENDER, Body="x")
            return [a.outcome for a in other.attempts]

    first = outcomes(7)
    assert first == outcomes(7)
    assert {"created", "429", "500"} <= set(first)


def test_unknown_fault_kind_is_refused():
    with pytest.raises(ValueError):
        FakeTwilio(fail_kinds=("teapot",))
