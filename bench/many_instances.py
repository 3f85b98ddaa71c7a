"""Many instances, one truth: one group send on 1, 2 and 3 ``python -m devhost`` processes on ONE Azurite.

As Azure scales the app out: every instance runs every function on the same storage account
(queues, tables, the timer's lock blob), the send action goes to one of them and the send
batches are taken by whichever instance polls first. Each instance count gets a fresh Azurite,
a group of ``--n`` seeded there and a fresh set of devhosts, which text it through the fake
Twilio with no rate gate (SEND_RATE_PER_SECOND unset). A fresh Azurite each time, because
Azurite answers a table query by testing every row of the table: on one Azurite each run
would also pay for the recipients of the runs before it.
It prints, per instance count: texts once (yes/no), lost (members never texted), duplicates,
end-to-end throughput (members ÷ (last provider call − send request)), the share of texts each
instance sent (the status callback URL names its instance), the campaign's status and counters
from the list, and CPU of the devhosts and of Azurite.

    .venv/bin/python bench/many_instances.py              # 20,000 members on 1, 2, 3 instances (~15 min)
    .venv/bin/python bench/many_instances.py --quick      # 2,000 members
    .venv/bin/python bench/many_instances.py --n 5000 --instances 1,3
    .venv/bin/python bench/many_instances.py --latency 0.25 --cap 150   # Twilio-like answers, a 150/s sender

Goals (engine issue, item 2): every member texted exactly once, nobody lost, and throughput
that grows with instances until the provider cap. On this 2-core machine the instances share
two cores with Azurite (the one storage account every instance writes to) and the fake
Twilio. Without provider latency the pipeline's CPU per text caps the total whatever the
instance count. With ``--latency`` (Twilio answers a create in ~0.1-0.3 s) an instance is bound
by its texts in flight (worker threads x SEND_CONCURRENCY) while the machine still has CPU to
spare, as each Azure instance has cores of its own: that is where added instances add
throughput, up to the sender's cap (``--cap``: the fake answers 429/20429 above it, and the
app backs off). Exits 0 whether goals are met or missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Stack, cpu_seconds, http_session, machine_note, verdict, wait_until, warm_up  # noqa: E402
from _storage_meter import StorageMeter, billed, table_text  # noqa: E402


CAP_REACHED = 0.9  # an instance count whose throughput is this share of the provider cap has reached it


def run(stack: Stack, tenant: Any, group_id: str, phones: list[str], count: int, concurrency: int,
        timeout: float, meter: Any = None) -> dict[str, Any]:
    fake = stack.fake
    assert fake is not None
    env = {"SEND_CONCURRENCY": str(concurrency)}
    if meter is not None:
        env["AzureWebJobsStorage"] = meter.connection_string
    hosts = [stack.start_devhost(env) for _ in range(count)]
    try:
        warm_up(stack, hosts[0], tenant)
        for host in hosts[1:]:
            warm_up(stack, host, tenant)
        fake.reset()
        pids = [h.pid for h in hosts] + [stack.azurite.process.pid]
        cpu0 = [cpu_seconds(p) for p in pids]
        calls0 = meter.snapshot() if meter is not None else Counter()
        body = f"Many instances ({count})"
        api = http_session(tenant.key)
        t0 = time.time()
        res = api.post(f"{hosts[-1].base_url}/api/messages/sendsinglegroup", json={"To": group_id, "Body": body},
                       timeout=60)
        res.raise_for_status()
        campaign_id = res.json()["Data"]["CampaignId"]
        n = len(phones)
        last_seen, last_change = -1, time.monotonic()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, _, _ = fake.progress()
            if done >= n:
                break
            if done != last_seen:
                last_seen, last_change = done, time.monotonic()
            elif time.monotonic() - last_change > 60:
                break  # stalled
            time.sleep(0.25)
        cpu = [cpu_seconds(p) - c for p, c in zip(pids, cpu0)]
        calls = (meter.snapshot() - calls0) if meter is not None else Counter()

        def listed() -> dict[str, Any]:
            page = api.get(f"{hosts[0].base_url}/api/campaigns", params={"top": 20}, timeout=60).json()["Data"]
            return next((c for c in page if c["CampaignId"] == campaign_id), {})

        wait_until(lambda: listed().get("Status") == "Sent", 60, 0.5)
        campaign = listed()
        messages = [m for m in fake.messages if m.body == body]
        per_phone = Counter(m.to for m in messages)
        ports = Counter((m.status_callback or "").split("://", 1)[-1].split("/", 1)[0] for m in messages)
        last = max((m.time for m in messages), default=t0)
        span = last - t0
        return {
            "instances": count, "n": n, "texted": len(per_phone), "lost": len(set(phones) - set(per_phone)),
            "duplicates": sum(c - 1 for c in per_phone.values() if c > 1), "span_s": span,
            "msg_per_s": len(per_phone) / span if span > 0 else 0.0,
            "shares": [ports.get(f"127.0.0.1:{h.port}", 0) for h in hosts], "campaign": campaign,
            "devhost_cpu_s": sum(cpu[:-1]), "azurite_cpu_s": cpu[-1], "calls": calls,
        }
    finally:
        for host in hosts:
            stack.stop_devhost(host)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--n", type=int, default=None, help="group members (default 20000)")
    parser.add_argument("--instances", default="1,2,3", help="instance counts to run (default 1,2,3)")
    parser.add_argument("--concurrency", type=int, default=8, help="SEND_CONCURRENCY per instance (default 8)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run before giving up")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the fake Twilio takes per create (default 0: the pipeline's own cost; "
                             "Twilio's Messages API answers in ~0.1-0.3 s)")
    parser.add_argument("--cap", type=float, default=None,
                        help="the fake Twilio's creates per second (429/20429 above it), as a sender's MPS")
    parser.add_argument("--quick", action="store_true", help="--n 2000")
    parser.add_argument("--detail", action="store_true",
                        help="count the storage calls (bench/_storage_meter.py's proxies) and list them by kind")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (devhost logs)")
    args = parser.parse_args()
    n = args.n or (2000 if args.quick else 20_000)
    counts = [int(x) for x in args.instances.split(",") if x.strip()]
    started = time.perf_counter()
    print(f"many-instances benchmark: one SendTextMessageToAGroup of {n:,} members on {counts} devhost "
          f"processes sharing one Azurite; fake Twilio {args.latency * 1000:.0f} ms per create, "
          f"{f'cap {args.cap:g}/s' if args.cap else 'no cap'}; no rate gate")
    print(machine_note())
    results = []
    for count in counts:
        # a fresh Azurite for each instance count: Azurite answers a table query by testing every
        # row of the table, so a run on top of the previous runs' recipients would pay for theirs
        with Stack("many", keep_dir=args.keep) as stack:
            stack.start_fake(latency=args.latency, capacity=args.cap)
            tenant = stack.tenant()
            group_id, phones, seconds = stack.bulk_group(tenant, "Everyone", n)
            meter = StorageMeter(stack.azurite).start() if args.detail else None
            try:
                r = run(stack, tenant, group_id, phones, count, args.concurrency, args.timeout, meter)
            finally:
                if meter is not None:
                    meter.stop()
            results.append(r)
            c = r["campaign"]
            once = r["lost"] == 0 and r["duplicates"] == 0
            print(f"{count} instance(s) (group seeded in {seconds:.0f} s): texts once {'yes' if once else 'NO'}, "
                  f"lost {r['lost']}, duplicates "
                  f"{r['duplicates']}, {r['msg_per_s']:.1f} msg/s ({r['span_s']:.1f}s), shares {r['shares']}, "
                  f"list: {c.get('Status')} SentCount {c.get('SentCount')} PendingCount {c.get('PendingCount')}; "
                  f"CPU devhosts {r['devhost_cpu_s']:.0f}s, Azurite {r['azurite_cpu_s']:.0f}s "
                  f"({r['devhost_cpu_s'] / max(1, r['texted']) * 1000:.1f} / "
                  f"{r['azurite_cpu_s'] / max(1, r['texted']) * 1000:.1f} ms per text)", flush=True)
            if meter is not None:
                print(f"  storage calls {billed(r['calls']) / max(1, r['texted']):.3f} per text:")
                print(table_text(r["calls"], max(1, r["texted"])), flush=True)
    print()
    all_once = all(r["lost"] == 0 and r["duplicates"] == 0 for r in results)
    print(f"goal: every member texted exactly once, nobody lost, on every instance count: {verdict(all_once)}")
    base = results[0]["msg_per_s"] if results else 0.0
    growth = ", ".join(f"{r['instances']}: x {r['msg_per_s'] / base:.2f}" for r in results) if base else "n/a"
    capped = CAP_REACHED * args.cap if args.cap else float("inf")
    grows = all(b["msg_per_s"] > a["msg_per_s"] or a["msg_per_s"] >= capped for a, b in zip(results, results[1:]))
    print(f"goal: throughput grows with instances until the provider cap "
          f"({f'{args.cap:g}/s' if args.cap else 'none here'}): {growth} {verdict(grows)}")
    if not args.latency:
        print("(no provider latency: 2 cores shared by every devhost, Azurite and the fake, so CPU per text "
              "bounds the total; --latency 0.25 measures the provider-bound case, as in Azure)")
    print(f"took {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
