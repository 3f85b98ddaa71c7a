"""Every field a send stores is validated by the request model, whatever the action: oversize
or junk values are a 4xx naming the field, never a 500 from Table Storage, never stored."""

from __future__ import annotations

import pytest

from shared_code.messaging.catalog import SEND_OPERATIONS
from tests.messaging.helpers import data, make_book, post_send, utc_now, body_for

JSON_OPS = [op for op in SEND_OPERATIONS if op.kind != "mms"]


@pytest.fixture()
def book(api):  # noqa: ANN001, ANN201
    return make_book(api)


@pytest.mark.parametrize("value", ["x" * 40_000, "x" * 30_000, "next tuesday, probably"],
                         ids=["40000", "30000", "junk"])
def test_event_date_is_a_date_on_every_action(api, book, value):
    for op in JSON_OPS:
        body, _ = body_for(op, book, utc_now(), "hello")
        res = api.post(op.route, {**body, "EventDate": value})
        assert res.status_code == 400, (op.operation_id, res.text[:300])
        err = res.json()["Error"]
        assert err["Field"] == "EventDate" and res.json()["Success"] is False, (op.operation_id, err)
    assert data(api.get("campaigns")) == []


def test_an_event_date_that_is_a_date_is_kept_only_for_reminders(api, book, tenant):
    from shared_code.messaging.storage import campaigns_repo

    op = next(o for o in JSON_OPS if o.operation_id == "SendTextMessageToANumber")
    body, _ = body_for(op, book, utc_now(), "hello")
    c = data(api.post(op.route, {**body, "EventDate": "12/24/2026"}))
    assert campaigns_repo().get(tenant.account_id, c["CampaignId"]).EventDate == ""
    op = next(o for o in JSON_OPS if o.timing == "reminder" and o.target == "contact")
    body, _ = body_for(op, book, utc_now(), "hello")
    c = data(api.post(op.route, body))
    assert campaigns_repo().get(tenant.account_id, c["CampaignId"]).EventDate == body["EventDate"]


OVERSIZE = "y" * 40_000


@pytest.mark.parametrize("op", JSON_OPS, ids=lambda op: op.operation_id)
def test_oversize_fields_are_a_4xx_naming_the_field(api, book, op):
    base, _ = body_for(op, book, utc_now(), "hello")
    fields = [op.to_field, op.body_field, "ScheduledAt", "ScheduledDate", "ScheduledTime"]
    fields += [op.place_field] if op.place_field else []
    fields += ["Time"] if op.timing == "reminder" else []
    fields += ["ContactName", "ContactLastName"] if op.target == "new_contact" else []
    fields += ["GroupName"] if op.target == "new_group" else []
    for name in fields:
        res = api.post(op.route, {**base, name: OVERSIZE})
        assert 400 <= res.status_code < 500, (name, res.status_code, res.text[:300])
        err = res.json()["Error"]
        assert err["Field"].split("[")[0] == name, (name, err)
    assert data(api.get("campaigns")) == []


def test_oversize_mms_fields_are_a_4xx_naming_the_field(api, book):
    op = next(o for o in SEND_OPERATIONS if o.operation_id == "SendMMSNewContact")
    base, _ = body_for(op, book, utc_now(), "hello")
    for name in ("Message", "ContactName", "ContactLastName", "ContactNumber"):
        res = post_send(api, op, {**base, name: OVERSIZE})
        assert 400 <= res.status_code < 500 and res.json()["Error"]["Field"] == name, (name, res.text[:300])
