"""Campaign counters kept as recipients move, not counted on a read.

Every test reads the campaign through the list (ListCampaigns, which never scanned recipients)
or straight from storage, and none GETs it first: the counters and the Sent status must be
there because the writers put them there. Sends go through the session's devhost and the real
twilio client to the fake Twilio."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.messaging.helpers import data, dispatched
from tests.messaging.test_pipeline_twilio import _callback, counts_for, fake, twilio  # noqa: F401 - fixtures
from tests.support.tenants import new_phone


def _listed(api: Any, campaign_id: str) -> dict[str, Any]:
    """The campaign as the list shows it."""
    for c in data(api.get("campaigns", params={"top": 100})):
        if c["CampaignId"] == campaign_id:
            return c
    raise AssertionError(f"campaign {campaign_id} is not listed")


def _stored(account_id: str, campaign_id: str) -> Any:
    """The campaign row itself, read without any service."""
    from shared_code.messaging.storage import campaigns_repo

    c = campaigns_repo().get(account_id, campaign_id)
    assert c is not None
    return c


def _wait_stored_sent(account_id: str, campaign_id: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while (c := _stored(account_id, campaign_id)).Status != "Sent":
        assert time.monotonic() < deadline, f"still {c.Status} with nobody reading it"
        time.sleep(0.2)
    return c


def _record(account_id: str, numbers: list[str]) -> str:
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_desc_id
    from shared_code.messaging.models import QUEUED, Campaign
    from shared_code.messaging.storage import campaigns_repo

    now = utcnow()
    c = Campaign(CampaignId=new_desc_id(), AccountId=account_id, Operation="SendTextMessageToMultipleContacts",
                 Type="Message", Body="Counted", SendDate=now, Status=QUEUED, CreatedAt=now)
    campaigns_repo().insert(c, numbers)
    return c.CampaignId


COUNTS = ("Status", "Reach", "SentCount", "DeliveredCount", "UndeliveredCount", "FailedCount", "SkippedCount",
          "PendingCount")


def _counts(c: dict[str, Any]) -> tuple:
    return tuple(c[k] for k in COUNTS)


def test_counters_after_delivered_failed_skipped_and_cancelled_recipients(api, tenant, twilio, monkeypatch):
    """One campaign, every outcome: failed (21211), delivered (a receipt), skipped (opted out),
    cancelled (its batch ran after the cancel). Its send batches are run by hand here, twice
    each (a retried queue message), so nothing is counted twice."""
    from shared_code.messaging import sending

    bad, good, stopped, late1, late2 = (new_phone("346") for _ in range(5))
    twilio.permanent = {bad: 21211}
    data(api.post("optouts/optout", {"Phone": stopped, "Reason": "asked"}))
    campaign_id = _record(tenant.account_id, [bad, good, stopped, late1, late2])

    queued = dispatched(monkeypatch, tenant.account_id, campaign_id)
    (batch,) = queued
    assert sorted(batch.phones) == sorted([bad, good, late1, late2])

    for _ in range(2):  # the same message twice
        sending.send_batch(tenant.account_id, campaign_id, [bad, good])
    (m,) = [m for m in twilio.messages if m.to == good]
    base = {"MessageSid": m.sid, "AccountSid": twilio.account_sid, "To": good, "From": m.from_}
    for _ in range(2):  # a receipt Twilio sends twice
        assert _callback(api, twilio, m.status_callback, {**base, "MessageStatus": "delivered"}).status_code == 200
    data(api.post(f"campaigns/{campaign_id}/cancel", {}))
    for _ in range(2):
        sending.send_batch(tenant.account_id, campaign_id, [late1, late2])

    listed = _listed(api, campaign_id)
    # 5 recipients: 1 failed + 1 delivered reached (Reach counts neither skipped nor cancelled)
    assert _counts(listed) == ("Cancelled", 2, 1, 1, 1, 1, 1, 0), listed
    assert counts_for(twilio, campaign_id) == {good: 1}
    assert _counts(data(api.get(f"campaigns/{campaign_id}"))) == _counts(listed)


def test_a_duplicate_status_callback_counts_once(api, tenant, twilio):
    """Receipts for two texts, each sent twice (and twice more at the same moment)."""
    p1, p2 = new_phone("347"), new_phone("347")
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": f"{p1},{p2}", "Body": "Receipts"}))
    campaign_id = c["CampaignId"]
    _wait_stored_sent(tenant.account_id, campaign_id, 60)
    by_phone = {m.to: m for m in twilio.messages if m.to in (p1, p2)}
    calls = []
    for phone, status in ((p1, "delivered"), (p2, "undelivered")):
        m = by_phone[phone]
        params = {"MessageSid": m.sid, "AccountSid": twilio.account_sid, "To": phone, "From": m.from_,
                  "MessageStatus": status}
        calls += [(m.status_callback, params)] * 4
    assert _callback(api, twilio, *calls[0]).status_code == 200
    assert _callback(api, twilio, *calls[4]).status_code == 200
    threads = [threading.Thread(target=_callback, args=(api, twilio, *call)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    listed = _listed(api, campaign_id)
    assert (listed["SentCount"], listed["DeliveredCount"], listed["UndeliveredCount"], listed["FailedCount"]) == \
        (2, 1, 1, 0), listed


def test_sent_without_any_read_and_the_list_and_get_agree(api, tenant, twilio):
    """Nobody reads the campaign while it sends: the writer of its last recipient makes it Sent
    (CompletedAt from the clock at that moment), and the list says what GET says."""
    phones = [new_phone("212") for _ in range(120)]
    started = time.time()
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": ",".join(phones), "Body": "No peeking"}))
    stored = _wait_stored_sent(tenant.account_id, c["CampaignId"], 120)
    assert stored.CompletedAt is not None and stored.CompletedAt.timestamp() >= started
    from shared_code.messaging.storage import campaigns_repo

    last = max(r.UpdatedAt for r in campaigns_repo().list_recipients(c["CampaignId"]))
    assert stored.CompletedAt >= last  # when the last one became final, not when someone looked
    listed = _listed(api, c["CampaignId"])
    assert _counts(listed) == ("Sent", 120, 120, 0, 0, 0, 0, 0), listed
    got = data(api.get(f"campaigns/{c['CampaignId']}"))
    assert _counts(got) == _counts(listed) and got["CompletedAt"] == listed["CompletedAt"]
    assert data(api.get("campaigns", params={"status": "Sent", "top": 100}))[0]["CampaignId"] == c["CampaignId"]


def test_concurrent_batches_on_several_workers_count_exactly(api, tenant, twilio):
    """400 numbers: 5 send batches at once on the host's threads, and every batch run
    again by two more workers at the same moment (duplicated messages, as several instances
    would take them). Exact totals, each number texted once."""
    from shared_code.messaging import sending

    twilio.latency = 0.02
    phones = [new_phone("646") for _ in range(400)]
    c = data(api.post("messages/sendtomulticontact", {"ContactNumber": ",".join(phones), "Body": "All at once"}))
    campaign_id = c["CampaignId"]

    from shared_code.messaging.storage import campaigns_repo

    deadline = time.monotonic() + 30
    while len(rows := [r.Phone for r in campaigns_repo().list_recipients(campaign_id)]) < 400:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    batches = [rows[i:i + 99] for i in range(0, 400, 99)]
    workers = [threading.Thread(target=sending.send_batch, args=(tenant.account_id, campaign_id, b))
               for b in batches for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    _wait_stored_sent(tenant.account_id, campaign_id, 120)
    counts = counts_for(twilio, campaign_id)
    assert sorted(counts) == sorted(phones) and set(counts.values()) == {1}
    assert _counts(_listed(api, campaign_id)) == ("Sent", 400, 400, 0, 0, 0, 0, 0)
    assert sum(campaigns_repo().counts(campaign_id).values()) == 400


def test_a_campaign_from_before_the_counters_is_counted_by_one_scan_then_frozen(api, tenant):
    """Dispatched before counter rows existed (Counters 0, no counter rows): the first read
    counts its recipients, and once all are final the figures stay on its row (a read after
    its recipients' rows are gone still answers them)."""
    from shared_code.common.clock import utcnow
    from shared_code.common.storage.names import RECIPIENTS
    from shared_code.common.storage.rows import delete_op, transact
    from shared_code.messaging.models import Recipient
    from shared_code.messaging.storage import COUNTS_FROZEN, campaigns_repo

    store, now = campaigns_repo(), utcnow()
    phones = [new_phone("718") for _ in range(5)]
    campaign_id = _record(tenant.account_id, phones)
    c = store.get(tenant.account_id, campaign_id)
    c.Status, c.DispatchedAt, c.DispatchCompletedAt, c.DispatchedCount = "Sending", now, now, 5
    store.replace(c)
    store.get(tenant.account_id, campaign_id)  # Counters 0: no counter rows are written
    statuses = ["delivered", "delivered", "undelivered", "failed", "skipped"]
    store.create_recipients(campaign_id, [Recipient(Phone=p, AccountId=tenant.account_id, Status=s, UpdatedAt=now)
                                          for p, s in zip(phones, statuses)])
    assert sum(store.counts(campaign_id).values()) == 0
    first = data(api.get(f"campaigns/{campaign_id}"))
    assert _counts(first) == ("Sent", 4, 3, 2, 2, 1, 1, 0), first
    assert store.get(tenant.account_id, campaign_id).Counters == COUNTS_FROZEN
    table = store.store.table(RECIPIENTS)
    transact(table, [delete_op(campaign_id, p) for p in phones])  # no scan could count them now
    assert _counts(data(api.get(f"campaigns/{campaign_id}"))) == _counts(first)
    assert _counts(_listed(api, campaign_id)) == _counts(first)


def test_two_instances_with_stale_copies_of_a_counter_row_still_count_exactly(tenant):
    """Each repository keeps the counter rows it last wrote (so its next write needs no read);
    two instances writing the same shards in turn each hold a stale copy every time and must
    still add up to the truth, with each recipient counted once."""
    from shared_code.common.clock import utcnow
    from shared_code.common.storage.tables import TableStore
    from shared_code.messaging.models import SENDING, Recipient
    from shared_code.messaging.storage import COUNTER_SHARDS, CampaignRepository

    one, two = CampaignRepository(TableStore()), CampaignRepository(TableStore())
    phones = [new_phone("917") for _ in range(6)]
    campaign_id = _record(tenant.account_id, phones)
    c = one.get(tenant.account_id, campaign_id)
    c.Status, c.DispatchedAt, c.Counters = SENDING, utcnow(), COUNTER_SHARDS
    one.replace(c)
    one.get(tenant.account_id, campaign_id)
    now = utcnow()
    # the same lowest recipient: every write below lands on one shard first
    one.create_recipients(campaign_id, [Recipient(Phone=p, AccountId=tenant.account_id, Status="pending",
                                                  UpdatedAt=now) for p in phones])
    for step, (repo, status) in enumerate([(two, "sending"), (one, "sent"), (two, "delivered")]):
        rows = repo.get_recipients(campaign_id, phones)
        for r in rows:
            r.Status = status
        repo.replace_recipients(campaign_id, rows)
        totals = {k: v for k, v in (one if step % 2 else two).counts(campaign_id).items() if v}
        assert totals == {status: 6}, (step, totals)
    assert len([k for k in (one._counter_rows | two._counter_rows) if k[0] == campaign_id]) == 1  # one shard
