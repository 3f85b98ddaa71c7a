"""The scheduler timer: far-future sends enter the queue when they reach the 7-day window, and
a due campaign whose dispatch message was lost is queued again."""

from __future__ import annotations

import time
from datetime import timedelta

import requests

from tests.messaging.helpers import data, wait_campaign
from tests.support.tenants import new_phone


def _outbox(account_id: str, campaign_id: str) -> list[dict]:
    from shared_code.common.sms.outbox import list_outbox
    from shared_code.common.storage.tables import TableStore

    return [r for r in list_outbox(TableStore(), account_id) if r.get("CampaignId") == campaign_id]


def _run_timer(host) -> None:  # noqa: ANN001
    assert requests.post(f"{host.base_url}/admin/functions/Scheduler", json={}, timeout=10).status_code == 202


def _wait_outbox(account_id: str, campaign_id: str, timeout: float = 15) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _outbox(account_id, campaign_id)
        if rows:
            return rows
        time.sleep(0.2)
    return []


def _schedule_row(campaign_id: str) -> dict:
    from shared_code.messaging.storage import campaigns_repo
    from shared_code.common.clock import utcnow

    rows = [r for r in campaigns_repo().due(utcnow() + timedelta(days=400)) if r["CampaignId"] == campaign_id]
    assert len(rows) == 1
    return rows[0]


def test_far_future_send_is_queued_by_the_timer_when_it_enters_the_window(api, tenant, clock, host):
    at = clock.now() + timedelta(days=8)
    c = data(api.post("messages/sendsimple", {"To": new_phone(), "Body": "next week", "ScheduledAt": at.isoformat()}))
    assert c["Status"] == "Scheduled"
    assert _schedule_row(c["CampaignId"])["Enqueued"] is False  # beyond queue visibility: waits
    _run_timer(host)
    time.sleep(1)
    assert _schedule_row(c["CampaignId"])["Enqueued"] is False  # still 8 days away: nothing yet
    clock.at = at - timedelta(seconds=1)
    _run_timer(host)
    rows = _wait_outbox(tenant.account_id, c["CampaignId"])
    assert len(rows) == 1 and rows[0]["Body"] == "next week"


def test_lost_dispatch_is_queued_again(api, tenant, clock, host):
    from shared_code.messaging.storage import campaigns_repo

    at = clock.now() + timedelta(days=8)
    c = data(api.post("messages/sendsimple", {"To": new_phone(), "Body": "not lost", "ScheduledAt": at.isoformat()}))
    # pretend its dispatch message was queued and then lost (e.g. poisoned, or a queue wiped)
    campaigns_repo().mark_schedule(_schedule_row(c["CampaignId"]), Enqueued=True)
    clock.at = at + timedelta(minutes=3)
    _run_timer(host)
    rows = _wait_outbox(tenant.account_id, c["CampaignId"])
    assert len(rows) == 1
    # the provider's row is written before the send batch records the result: Sent follows
    assert wait_campaign(api, c["CampaignId"], timeout=10)["SentCount"] == 1
