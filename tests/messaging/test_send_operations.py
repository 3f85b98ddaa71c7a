"""Each of the 36 send operations: same path and fields as the original, the campaign
shape, and — for the ones that send now — exactly the expected recipients texted once."""

from __future__ import annotations

import pytest

from shared_code.messaging.catalog import SEND_OPERATIONS
from tests.messaging.helpers import PLACE, body_for, data, make_book, post_send, utc_now, wait_campaign

CAMPAIGN_FIELDS = {"CampaignId": str, "AccountId": str, "Type": str, "Body": str, "SendDate": str, "PlaceId": str,
                   "Status": str, "CreatedAt": str, "CreatedBy": str, "Groups": list, "Reach": int,
                   "SentCount": int, "UndeliveredCount": int, "IsReminder": bool}


def outbox_to(storage, account_id: str, campaign_id: str) -> list[str]:
    from shared_code.common.sms.outbox import list_outbox
    from shared_code.common.storage.tables import TableStore

    return sorted(r["To"] for r in list_outbox(TableStore(), account_id) if r.get("CampaignId") == campaign_id)


@pytest.mark.parametrize("op", SEND_OPERATIONS, ids=lambda op: op.operation_id)
def test_send_operation(api, tenant, storage, op):
    book = make_book(api)
    body, expect = body_for(op, book, utc_now(), f"Hello from {op.operation_id}")
    res = post_send(api, op, body)
    assert res.status_code == 200, res.text
    payload = res.json()
    assert payload["Success"] is True and isinstance(payload["Error"], dict)
    got = payload["Data"]
    if op.operation_id == "SendReviewSingleContact":
        assert got["To"] == book.p1 and got["Direction"] == "Outgoing"
        # the original's billing fields are still there for flows that read them, never filled
        assert (got["Account"]["StripeCustomerId"], got["Account"]["StripeSubscriptionId"]) == ("", "")
        campaign_id = got["CampaignId"]
        got = data(api.get(f"campaigns/{campaign_id}"))
    for name, kind in CAMPAIGN_FIELDS.items():
        assert isinstance(got[name], kind), (name, got[name])
    campaign_id = got["CampaignId"]
    assert got["Body"].startswith(f"Hello from {op.operation_id}")
    if op.kind == "review":
        assert got["Type"] == "Review" and got["PlaceId"] == PLACE
        assert got["Body"].endswith(f"https://search.google.com/local/writereview?placeid={PLACE}")
    assert got["IsReminder"] is (op.timing == "reminder")
    if op.target in ("group", "groups"):
        assert [(g["GroupId"], g["IsVisible"]) for g in got["Groups"]] == [(book.group_id, True)]
    if op.timing != "now":
        assert got["Status"] == "Scheduled"
        cancelled = data(api.post(f"campaigns/{campaign_id}/cancel"))
        assert cancelled["Status"] == "Cancelled"
        return
    assert got["Status"] == "Queued"
    done = wait_campaign(api, campaign_id)
    assert outbox_to(storage, tenant.account_id, campaign_id) == sorted(expect)
    assert done["SentCount"] == len(expect) and done["Reach"] == len(expect)
    recipients = data(api.get(f"campaigns/{campaign_id}/recipients"))
    assert sorted(r["Phone"] for r in recipients) == sorted(expect)
    assert {r["Status"] for r in recipients} == {"delivered"}
