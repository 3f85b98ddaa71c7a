"""The scheduler timer (every minute): moves far-future campaigns into the queue once they
enter the 7-day visibility window, and re-queues any due campaign whose dispatch was lost."""

from __future__ import annotations

import logging
from datetime import timedelta

from ..common.clock import utcnow
from ..common.context import repos
from ..common.storage.queues import MAX_DELAY_SECONDS
from .models import DispatchMessage
from .storage import campaigns_repo

log = logging.getLogger("powertextor.scheduler")
LOST_AFTER = timedelta(minutes=2)
REQUEUE_EVERY = timedelta(minutes=5)


def tick() -> dict[str, int]:
    now = utcnow()
    store = campaigns_repo()
    horizon = now + timedelta(seconds=MAX_DELAY_SECONDS - 3600)
    counts = {"queued": 0, "requeued": 0}
    for row in store.due(before=horizon):
        send_at = row["SendAt"]
        last = row.get("LastQueuedAt")
        message = DispatchMessage(account_id=row["AccountId"], campaign_id=row["CampaignId"], version=row["Version"])
        if not row.get("Enqueued"):
            repos().queues.put(message, (send_at - now).total_seconds())
            store.mark_schedule(row, Enqueued=True, LastQueuedAt=now)
            counts["queued"] += 1
        elif send_at < now - LOST_AFTER and (last is None or now - last > REQUEUE_EVERY):
            repos().queues.put(message)
            store.mark_schedule(row, LastQueuedAt=now)
            counts["requeued"] += 1
    if any(counts.values()):
        log.info("scheduler: %s", counts)
    return counts
