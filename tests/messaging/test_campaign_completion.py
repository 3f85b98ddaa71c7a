"""When a campaign is done: dispatch has stored the whole audience AND every recipient is final.

A campaign with nobody to text finishes (and "send and wait" answers 200); a dispatch that
died half-way never lets the campaign look Sent on the part it managed, and the retried
dispatch finishes it exactly once."""

from __future__ import annotations

import time

import pytest

from tests.messaging.helpers import data, wait_campaign
from tests.messaging.test_pipeline_outbox import outbox
from tests.support.tenants import new_phone, new_tenant


def _record(account_id: str, body: str, **audience) -> str:  # noqa: ANN003
    """A due campaign written as the send service writes it, but not queued: the test decides
    when dispatch runs."""
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_desc_id
    from shared_code.messaging.models import QUEUED, Campaign
    from shared_code.messaging.storage import campaigns_repo

    now = utcnow()
    c = Campaign(CampaignId=new_desc_id(), AccountId=account_id, Operation="SendTextMessageToAGroup",
                 Type="Message", Body=body, SendDate=now, Status=QUEUED, CreatedAt=now, **audience)
    campaigns_repo().insert(c)
    return c.CampaignId


def _queue_dispatch(account_id: str, campaign_id: str) -> None:
    """The dispatch message, as enqueue_dispatch (or a retry of it) puts it on the queue."""
    from shared_code.common.context import repos
    from shared_code.common.storage.names import DISPATCH_QUEUE

    repos().queues.send(DISPATCH_QUEUE, {"a": account_id, "c": campaign_id, "v": 1})


def _poll_status(api, location: str, timeout: float = 20):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while True:
        res = api.session.get(location, timeout=10)
        if res.status_code != 202 or time.monotonic() > deadline:
            return res
        time.sleep(0.3)


def test_send_and_wait_to_an_empty_group_finishes_with_200(api):
    group = data(api.post("groups", {"Name": "Nobody yet"}))
    res = api.post("campaigns/sendandwait", {"GroupName": [group["GroupId"]], "Body": "Anyone there?"})
    assert res.status_code == 202
    final = _poll_status(api, res.headers["Location"])
    assert final.status_code == 200, final.text
    c = final.json()["Data"]
    assert (c["Status"], c["Reach"], c["SentCount"], c["PendingCount"]) == ("Sent", 0, 0, 0)
    assert c["CompletedAt"]
    plain = data(api.post("messages/sendsinglegroup", {"To": group["GroupId"], "Body": "Still nobody"}))
    assert wait_campaign(api, plain["CampaignId"], timeout=20)["Reach"] == 0


def test_a_contact_id_that_is_not_the_callers_finishes_with_nobody_texted(api, make_api, tenant):
    """A well-formed contact id of another account reaches dispatch (whether the request is
    refused earlier is the API's business): dispatch finds no such contact, and the campaign
    must still finish, with nobody texted."""
    other = make_api(new_tenant("Someone Else").key)
    theirs = data(other.post("contacts/contactnew", {"Phone": new_phone(), "Name": "Not yours"}))["ContactId"]
    campaign_id = _record(tenant.account_id, "Not for you", ContactIds=[theirs])
    _queue_dispatch(tenant.account_id, campaign_id)
    final = _poll_status(api, f"{api.base_url}/api/campaigns/{campaign_id}/status")
    assert final.status_code == 200, final.text
    c = final.json()["Data"]
    assert (c["Status"], c["Reach"], c["SentCount"]) == ("Sent", 0, 0)
    assert outbox(tenant.account_id, campaign_id) == []


def test_dispatch_dying_half_way_is_not_sent_until_the_retry_finishes_it_once(api, tenant, monkeypatch):
    from azure.core.exceptions import ServiceResponseError

    from shared_code.messaging import dispatch as dispatch_service

    phones = [new_phone("478") for _ in range(30)]
    group = data(api.post("groups", {"Name": "Everyone", "Contacts": phones}))
    campaign_id = _record(tenant.account_id, "Half a dispatch", GroupIds=[group["GroupId"]])

    # chunks of 10 (of 100 in production); the storage process dies after the first chunk is
    # stored and its send batch queued
    monkeypatch.setattr(dispatch_service, "CHUNK", 10)
    real_flush, flushed = dispatch_service._flush, []

    def flush_then_die(c, chunk):  # noqa: ANN001, ANN202
        if flushed:
            raise ServiceResponseError("Connection aborted: storage went away")
        flushed.append(len(chunk))
        return real_flush(c, chunk)

    monkeypatch.setattr(dispatch_service, "_flush", flush_then_die)
    with pytest.raises(ServiceResponseError):
        dispatch_service.dispatch(tenant.account_id, campaign_id, 1)
    monkeypatch.undo()
    assert flushed == [10]

    # the first 10 are texted and final; the other 20 don't exist yet
    deadline = time.monotonic() + 30
    while len(outbox(tenant.account_id, campaign_id)) < 10 and time.monotonic() < deadline:
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while (c := data(api.get(f"campaigns/{campaign_id}")))["PendingCount"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (c["SentCount"], c["PendingCount"]) == (10, 0)
    assert c["Status"] == "Sending", c  # not Sent: dispatch never finished
    assert api.get(f"campaigns/{campaign_id}/status").status_code == 202

    _queue_dispatch(tenant.account_id, campaign_id)  # the failed message, retried
    done = wait_campaign(api, campaign_id, timeout=60)
    assert (done["SentCount"], done["Reach"], done["PendingCount"]) == (30, 30, 0)
    rows = outbox(tenant.account_id, campaign_id)
    assert sorted(r["To"] for r in rows) == sorted(phones)  # each once

    _queue_dispatch(tenant.account_id, campaign_id)  # a duplicate message after it finished
    time.sleep(3)
    again = data(api.get(f"campaigns/{campaign_id}"))
    assert (again["Status"], again["CompletedAt"], again["SentCount"]) == ("Sent", done["CompletedAt"], 30)
    assert len(outbox(tenant.account_id, campaign_id)) == 30
