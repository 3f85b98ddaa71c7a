"""Campaign status: GET /api/campaigns/{id} of a finished campaign at 1,000 and 100,000 recipients.

Each campaign is seeded straight through the repository, as dispatch and send leave it: the
campaign row (Sent, dispatch complete, counter rows on) and its Recipients rows written with
``create_recipients`` — 99 rows and their counter shard per transaction, on a few threads —
in the mix a real send ends with (90 % delivered, 4 % undelivered, 3 % failed, 3 % skipped).
Then a ``python -m devhost`` process (pipeline functions disabled: only the HTTP actions) is
asked for each campaign in turn, one request at a time over keep-alive, as "send and wait"
polls it. Every answer is checked against the seeded figures. ``--legacy`` then turns each
campaign into one dispatched before counter rows (Counters 0) and times its one scan, and the
reads after it (its figures frozen on the campaign row).

    .venv/bin/python bench/campaign_status.py            # 1,000 and 100,000 (seeding 100k: a few minutes)
    .venv/bin/python bench/campaign_status.py --quick    # 1,000 and 20,000
    .venv/bin/python bench/campaign_status.py --sizes 1000,100000 --samples 100 --legacy

Goals (engine issue, item 1): p95 <= 100 ms at 100,000 recipients and within 1.5 x of the
1,000-recipient figure. Exits 0 whether goals are met or missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Stack, _retrying, http_session, machine_note, percentile, summary, verdict  # noqa: E402

GOAL_P95_S = 0.100
GOAL_FLAT = 1.5
MIX = (("delivered", 90), ("undelivered", 4), ("failed", 3), ("skipped", 3))  # per 100 recipients


def seed(stack: Stack, account_id: str, size: int, threads: int = 4) -> tuple[str, dict[str, int], float]:
    """A finished campaign of ``size`` recipients; returns (id, expected counts, seconds)."""
    from shared_code.common.clock import utcnow
    from shared_code.common.ids import new_desc_id
    from shared_code.messaging.models import SENDING, SENT, Campaign, Recipient
    from shared_code.messaging.storage import COUNTER_SHARDS, campaigns_repo

    started = time.perf_counter()
    store, now = campaigns_repo(), utcnow()
    c = Campaign(CampaignId=new_desc_id(), AccountId=account_id, Operation="SendTextMessageToAGroup",
                 Type="Message", Body="Bench", SendDate=now, Status=SENDING, CreatedAt=now, DispatchedAt=now,
                 Counters=COUNTER_SHARDS)
    store.insert(c)
    store.get(account_id, c.CampaignId)  # this process's writers now know it keeps counters
    statuses = [s for s, n in MIX for _ in range(n)]
    phones = stack.phones.take(size)

    def write(chunk: list[str], offset: int) -> None:
        rows = [Recipient(Phone=p, AccountId=account_id, Status=statuses[(offset + i) % 100], UpdatedAt=now,
                          ProviderSid=f"SM{offset + i:032d}") for i, p in enumerate(chunk)]
        _retrying(lambda: store.create_recipients(c.CampaignId, rows))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda i: write(phones[i:i + 99], i), range(0, size, 99)))
    fresh = store.get(account_id, c.CampaignId)
    assert fresh is not None
    fresh.DispatchCompletedAt, fresh.DispatchedCount, fresh.Status, fresh.CompletedAt = now, size, SENT, now
    store.replace(fresh)
    expected: dict[str, int] = {}
    for i in range(size):
        expected[statuses[i % 100]] = expected.get(statuses[i % 100], 0) + 1
    return c.CampaignId, expected, time.perf_counter() - started


def check(answer: dict[str, Any], expected: dict[str, int], size: int) -> None:
    want = {"Status": "Sent", "SentCount": expected.get("delivered", 0) + expected.get("undelivered", 0),
            "DeliveredCount": expected.get("delivered", 0),
            "UndeliveredCount": expected.get("undelivered", 0) + expected.get("failed", 0),
            "FailedCount": expected.get("failed", 0), "SkippedCount": expected.get("skipped", 0),
            "PendingCount": 0, "Reach": size - expected.get("skipped", 0)}
    got = {k: answer.get(k) for k in want}
    if got != want:
        raise SystemExit(f"wrong answer at {size}: {got} != {want}")


def make_legacy(account_id: str, campaign_id: str) -> None:
    """The same campaign as if dispatched before counter rows existed: counted by a scan."""
    from shared_code.messaging.storage import campaigns_repo

    store = campaigns_repo()
    c = store.get(account_id, campaign_id)
    assert c is not None
    c.Counters = 0
    store.replace(c)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sizes", default=None, help="recipients per campaign (default 1000,100000)")
    parser.add_argument("--samples", type=int, default=50, help="timed GETs per size (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed GETs per size first (default 5)")
    parser.add_argument("--legacy", action="store_true", help="also time a pre-counter campaign: its one scan, then its frozen reads")
    parser.add_argument("--quick", action="store_true", help="--sizes 1000,20000")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (devhost log)")
    args = parser.parse_args()
    sizes = [int(x) for x in (args.sizes or ("1000,20000" if args.quick else "1000,100000")).split(",") if x]
    started = time.perf_counter()
    print("campaign status benchmark: GET /api/campaigns/{id} of a finished campaign over HTTP to a devhost "
          "subprocess on Azurite (pipeline functions disabled)")
    print(machine_note())
    with Stack("status", keep_dir=args.keep) as stack:
        tenant = stack.tenant()
        seeded: dict[int, tuple[str, dict[str, int]]] = {}
        for n in sizes:
            cid, expected, took = seed(stack, tenant.account_id, n)
            seeded[n] = (cid, expected)
            print(f"seeded {n:,} recipients in {took:.1f}s")
        host = stack.start_devhost(pipeline=False)
        api = http_session(tenant.key)

        def get(n: int) -> float:
            t0 = time.perf_counter()
            res = api.get(f"{host.base_url}/api/campaigns/{seeded[n][0]}", timeout=60)
            took = time.perf_counter() - t0
            res.raise_for_status()
            check(res.json()["Data"], seeded[n][1], n)
            return took

        for n in sizes:
            for _ in range(args.warmup):
                get(n)
        times: dict[int, list[float]] = {n: [] for n in sizes}
        for _ in range(args.samples):  # alternate, so machine noise hits every size alike
            for n in sizes:
                times[n].append(get(n))
        legacy: list[float] = []
        if args.legacy:  # the first read scans (and, all final, freezes the figures); the rest read the row
            for n in sizes:
                make_legacy(tenant.account_id, seeded[n][0])
                legacy.append(get(n))
            frozen = [get(sizes[-1]) for _ in range(args.samples)]

    print()
    for n in sizes:
        print(f"GET at {n:>7,} recipients: {summary(times[n])}")
    if legacy:
        scans = ", ".join(f"{t * 1000:.0f} ms at {n:,}" for n, t in zip(sizes, legacy))
        print(f"pre-counter campaigns (Counters 0): the one scan {scans}; then frozen on the row: {summary(frozen)}")
    small, large = sizes[0], sizes[-1]
    p95_small, p95_large = percentile(times[small], 95), percentile(times[large], 95)
    ratio = p95_large / p95_small if p95_small else float("nan")
    print(f"goal: p95 <= {GOAL_P95_S * 1000:.0f} ms at {large:,}: {p95_large * 1000:.1f} ms "
          f"{verdict(p95_large <= GOAL_P95_S)}")
    print(f"goal: p95 at {large:,} within {GOAL_FLAT} x of {small:,}: x {ratio:.2f} {verdict(ratio <= GOAL_FLAT)}")
    print(f"took {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
