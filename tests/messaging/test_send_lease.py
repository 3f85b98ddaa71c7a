"""A claim is a lease: a worker still texting a long batch keeps its rows, so another worker
that takes rows of the same batch as "stuck" (a repeated send message, a dispatch re-run) never
texts someone the first worker is about to text."""

from __future__ import annotations

import threading
import time
from collections import Counter

from tests.support.app_env import app_settings
from tests.support.fake_twilio import FakeTwilio
from tests.support.tenants import new_phone


def _campaign_with(account_id: str, phones: list[str], body: str) -> str:
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_desc_id
    from shared_code.messaging.models import SENDING, Campaign, Recipient
    from shared_code.messaging.storage import campaigns_repo

    now = utcnow()
    c = Campaign(CampaignId=new_desc_id(), AccountId=account_id, Operation="SendTextMessageToMultipleContacts",
                 Type="Message", Body=body, SendDate=now, Status=SENDING, CreatedAt=now, Numbers=phones,
                 DispatchedAt=now)
    store = campaigns_repo()
    store.insert(c)
    store.create_recipients(c.CampaignId, [Recipient(Phone=p, AccountId=account_id, UpdatedAt=now) for p in phones])
    return c.CampaignId


def test_rows_of_a_slow_batch_taken_as_stuck_are_texted_once(host, tenant):  # noqa: ANN001
    from shared_code.messaging.sending import send_batch

    phones = [new_phone("689") for _ in range(12)]
    body = "One at a time"
    # one call in flight, 250 ms each: the batch takes 3 s, longer than SEND_STUCK_SECONDS
    fake = FakeTwilio(latency=0.25).start()
    try:
        with app_settings({**fake.env(), "SEND_STUCK_SECONDS": "2", "SMS_TIMEOUT_SECONDS": "0.5",
                           "SEND_CONCURRENCY": "1"}):
            campaign_id = _campaign_with(tenant.account_id, phones, body)
            first = threading.Thread(target=send_batch, args=(tenant.account_id, campaign_id, phones))
            first.start()
            time.sleep(2.5)  # rows the first worker has not reached yet were claimed > 2 s ago
            second = threading.Thread(target=send_batch, args=(tenant.account_id, campaign_id, phones))
            second.start()
            first.join(30)
            second.join(30)
            time.sleep(3)  # rows the second one found young were requeued: let the host look again
            counts = Counter(m.to for m in fake.messages if m.body == body)
    finally:
        fake.stop()
    assert sorted(counts) == sorted(phones), f"never texted: {set(phones) - set(counts)}"
    assert {p: n for p, n in counts.items() if n > 1} == {}
