"""Send latency: response time of a send action at 1 and 10,000 recipients.

The action is SendTextMessageToAGroup (POST /api/messages/sendsinglegroup), timed from the
request to the full response over HTTP (keep-alive, one request at a time, as a flow's action
calls), against a ``python -m devhost`` process on Azurite. Groups of each size are seeded
first; requests alternate between the sizes so machine noise hits both alike. Every answer is
checked: 200, Status Queued and Reach = the group's size.

By default the devhost runs with the pipeline functions disabled (``AzureWebJobs.Dispatch/Send/
Scheduler.Disabled``, as in Azure): this measures the action itself, not 300 fan-outs of 10,000
texts competing for the same 2 cores (bench/fanout.py measures those). ``--pipeline`` keeps the
pipeline on and cancels each campaign right after its answer (the cancel is not timed).

    .venv/bin/python bench/send_latency.py                 # 1 and 10,000 recipients, 300 samples each
    .venv/bin/python bench/send_latency.py --quick         # 1 and 2,000 recipients, 100 samples each
    .venv/bin/python bench/send_latency.py --sizes 1,10000,40000 --samples 500

Goals (messaging-engine issue): p99 <= 150 ms at every size, and flat in N (p50 and p95 of the
largest size within 1.25 x of size 1; p99 alone is too noisy for that on a shared machine).
Exits 0 whether goals are met or missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (CpuMeter, Stack, http_session, machine_note, percentile, summary,  # noqa: E402
                      verdict)

GOAL_P99_S = 0.150
GOAL_FLAT = 1.25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--sizes", default=None, help="group sizes (default 1,10000)")
    parser.add_argument("--samples", type=int, default=None, help="timed requests per size (default 300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per size first (default 20)")
    parser.add_argument("--pipeline", action="store_true", help="keep dispatch/send running; cancel each campaign")
    parser.add_argument("--quick", action="store_true", help="--sizes 1,2000 --samples 100")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (devhost logs)")
    args = parser.parse_args()
    args.sizes = args.sizes or ("1,2000" if args.quick else "1,10000")
    args.samples = args.samples or (100 if args.quick else 300)
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    started = time.perf_counter()
    print("send latency benchmark: SendTextMessageToAGroup over HTTP to a devhost subprocess on Azurite "
          f"(pipeline {'on, each campaign cancelled' if args.pipeline else 'functions disabled: the action alone'})")
    print(machine_note())

    times: dict[int, list[float]] = {n: [] for n in sizes}
    with Stack("latency", keep_dir=args.keep) as stack:
        stack.start_fake(latency=0.05)
        tenant = stack.tenant()
        groups: dict[int, str] = {}
        for n in sizes:
            groups[n], _, secs = stack.bulk_group(tenant, f"Latency {n}", n)
            print(f"setup: group of {n:>6} contacts written in {secs:5.1f} s", flush=True)
        host = stack.start_devhost(pipeline=args.pipeline)
        api = http_session(tenant.key)
        url = f"{host.base_url}/api/messages/sendsinglegroup"
        bad: list[str] = []

        def send(n: int) -> float:
            t = time.perf_counter()
            res = api.post(url, json={"To": groups[n], "Body": "Latency benchmark"}, timeout=30)
            took = time.perf_counter() - t
            data = (res.json() or {}).get("Data") or {} if res.headers.get("Content-Type", "").startswith(
                "application/json") else {}
            if res.status_code != 200 or data.get("Status") != "Queued" or data.get("Reach") != n:
                bad.append(f"N={n}: HTTP {res.status_code} {res.text[:200]}")
            elif args.pipeline:
                api.post(f"{host.base_url}/api/campaigns/{data['CampaignId']}/cancel", timeout=30)
            return took

        for _ in range(args.warmup):
            for n in sizes:
                send(n)
        cpu = CpuMeter(stack, host)
        for _ in range(args.samples):
            for n in sizes:
                times[n].append(send(n))
        used = cpu.stop()
        stack.stop_devhost(host)

    print("\n==== summary (send latency) ====")
    print(machine_note())
    for n in sizes:
        print(f"N={n:>6}: {summary(times[n])}")
    print(f"  {CpuMeter.text(used)}")
    if bad:
        print(f"  {len(bad)} bad answers, first: {bad[0]}")
    for n in sizes:
        p99 = percentile(times[n], 99)
        print(f"p99 at N={n}: {p99 * 1000:.1f} ms  goal <= {GOAL_P99_S * 1000:.0f} ms -> "
              f"{verdict(p99 <= GOAL_P99_S and not bad)}")
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        r50 = percentile(times[hi], 50) / percentile(times[lo], 50)
        r95 = percentile(times[hi], 95) / percentile(times[lo], 95)
        r99 = percentile(times[hi], 99) / percentile(times[lo], 99)
        print(f"flat in N: N={hi} / N={lo}: p50 x{r50:.2f}, p95 x{r95:.2f} (p99 x{r99:.2f})  "
              f"goal p50 and p95 <= x{GOAL_FLAT} -> {verdict(r50 <= GOAL_FLAT and r95 <= GOAL_FLAT)}")
    print(f"total bench time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
