"""Fan-out: one group send to N recipients through a devhost process, Azurite and a fake Twilio
with a capacity cap (token bucket: over the cap it answers 429/20429, as Twilio does) and 50 ms
latency per message.

Each run is a fresh ``python -m devhost`` process: warm-up text, then one
SendTextMessageToAGroup (POST /api/messages/sendsinglegroup) to a group of N contacts.

- end-to-end msg/s = N ÷ (time of the LAST PROVIDER CALL the fake accepted − time the send
  request was issued); its ratio to the capacity is the figure of merit. Also printed: the time
  until every recipient was final in storage (last Recipients row written), the steady rate
  between 10 % and 90 % of the texts, 429s, duplicates, CPU per process.
- peak RSS = VmHWM of the devhost process (warm-up included), compared at N = 10k and 40k at
  the same capacity (--mem-rate).

App settings given to the devhost (a real deployment sets SEND_RATE_PER_SECOND to its Twilio
account's MPS): SEND_RATE_PER_SECOND = the capacity, so the app paces itself instead of
collecting 429s and backing off (``--no-gate`` runs without it, to see that); SEND_CONCURRENCY =
8, the default: 8 calls in flight per batch x the 6 batches the worker's 6 threads run at once
(host.json hands over up to 16 + 8) = 48, above the 25 needed for 500 msg/s at 50 ms. RATE_LIMIT_PER_MINUTE = 0 (per-key API limit; not hit here).

    .venv/bin/python bench/fanout.py                 # full: 100/200/500 msg/s at N=10k, memory at 10k & 40k
    .venv/bin/python bench/fanout.py --quick         # ~2 min: 200 msg/s at N=3000, memory at 2k & 8k
    .venv/bin/python bench/fanout.py --rates 200 --n 10000 --mem-sizes ''   # throughput only

Goals (messaging-engine issue): >= 0.9 of capacity at 200 msg/s; memory flat in N (peak RSS
at 40k <= 1.10 x peak RSS at 10k). Exits 0 whether goals are met or missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (CpuMeter, Devhost, Stack, Tenant, fmt_kb, http_session, machine_note,  # noqa: E402
                      percentile, recipient_outcome, verdict, warm_up)
from _timeline import invocations, pauses, render  # noqa: E402

GOAL_RATE = 200.0
GOAL_RATIO = 0.9
GOAL_MEM_RATIO = 1.10
FINAL = lambda status: status not in ("pending", "sending")  # noqa: E731


def one_run(stack: Stack, tenant: Tenant, group_id: str, n: int, rate: float, *, gate: bool, latency: float,
            concurrency: int, timeout: float, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Fresh devhost, warm-up, one group send of n; returns the figures."""
    fake = stack.fake
    assert fake is not None
    fake.capacity = None  # no cap for the warm-up
    env = {"SEND_CONCURRENCY": str(concurrency)}
    if gate:
        env["SEND_RATE_PER_SECOND"] = f"{rate:g}"
    env.update(extra_env or {})
    host = stack.start_devhost(env)
    try:
        warm = warm_up(stack, host, tenant)
        fake.reset()
        fake.capacity = rate  # a fresh, full bucket
        fake.latency = latency
        out = _send_and_watch(stack, host, tenant, group_id, n, timeout)
        out["warm_up_s"] = warm
    finally:
        stack.stop_devhost(host)
    out.update(rate=rate, gate=gate)
    out["longest_pause_s"], out["paused_s"] = pauses(out.pop("times"), rate) if out.get("times") else (0.0, 0.0)
    if out.get("timeline_times"):
        out["timeline"] = render(out.pop("timeline_times"), out.pop("t0"), rate, invocations(host.log_path))
    return out


def _send_and_watch(stack: Stack, host: Devhost, tenant: Tenant, group_id: str, n: int,
                    timeout: float) -> dict[str, Any]:
    fake = stack.fake
    assert fake is not None
    api = http_session(tenant.key)
    rss: list[int] = []
    cpu = CpuMeter(stack, host)
    t0 = time.time()
    res = api.post(f"{host.base_url}/api/messages/sendsinglegroup", json={"To": group_id, "Body": "Fan-out benchmark"},
                   timeout=60)
    t_resp = time.time()
    res.raise_for_status()
    data = res.json()["Data"]
    cid = data["CampaignId"]
    deadline = time.monotonic() + timeout
    last_count, last_progress = -1, time.monotonic()
    while time.monotonic() < deadline:
        count, _, _ = fake.progress()
        rss.append(host.memory_kb().get("VmRSS", 0))
        if count >= n:
            break
        if count != last_count:
            last_count, last_progress = count, time.monotonic()
        elif time.monotonic() - last_progress > 30:
            break  # stalled
        time.sleep(0.25)
    used = cpu.stop()
    mem = host.memory_kb()
    # every recipient final in storage: the last result write lands just after the last call
    counts, last_write = recipient_outcome(cid)
    for _ in range(60):
        if sum(counts.values()) >= n and all(FINAL(s) for s in counts):
            break
        time.sleep(0.5)
        counts, last_write = recipient_outcome(cid)
    count, first, last = fake.progress()
    msgs = fake.messages
    per_phone = Counter(m.to for m in msgs)
    times = sorted(m.time for m in msgs)
    out: dict[str, Any] = {
        "n": n, "campaign": cid, "reach": data.get("Reach"), "texted": len(per_phone), "texts": count,
        "duplicates": sum(c - 1 for c in per_phone.values() if c > 1), "rejected_429": fake.rejected_429(),
        "response_ms": (t_resp - t0) * 1000, "cpu": used, "rss_samples": [s for s in rss if s],
        "hwm_kb": mem.get("VmHWM", 0), "rss_end_kb": mem.get("VmRSS", 0), "statuses": counts,
        "times": times, "timeline_times": times, "t0": t0,
    }
    if times:
        span = last - t0
        out.update(first_s=first - t0, span_s=span, msg_per_s=len(per_phone) / span if span > 0 else 0.0)
        lo_i, hi_i = int(len(times) * 0.1), int(len(times) * 0.9) - 1
        lo, hi = times[lo_i], times[hi_i]
        out["steady_msg_per_s"] = (hi_i - lo_i) / (hi - lo) if hi > lo else 0.0
        out["best_1s"] = max(Counter(int(t - t0) for t in times).values())
    if last_write is not None and sum(counts.values()) >= n and all(FINAL(s) for s in counts):
        out["final_s"] = last_write.timestamp() - t0
    if not all(FINAL(s) for s in counts):  # no stragglers into the next run
        api.post(f"{host.base_url}/api/campaigns/{cid}/cancel", timeout=60)
    return out


def run_text(r: dict[str, Any]) -> str:
    head = f"  capacity {r['rate']:>5g} msg/s  N={r['n']:>6}"
    if "msg_per_s" not in r:
        return f"{head}: nothing texted; recipients {r['statuses']}"
    cpu = r["cpu"]
    per_msg = cpu["devhost"] / max(1, r["texts"]) * 1000
    final = f"+{r['final_s']:.1f}s" if "final_s" in r else "not reached"
    return (f"{head}: {r['msg_per_s']:7.1f} msg/s end-to-end = {r['msg_per_s'] / r['rate']:.3f} x capacity\n"
            f"      first text +{r['first_s']:.2f}s, last provider call +{r['span_s']:.1f}s, all recipients final "
            f"{final}; steady (10-90 %) {r['steady_msg_per_s']:.1f} msg/s, best 1 s {r['best_1s']}; "
            f"action answered in {r['response_ms']:.0f} ms\n"
            f"      texted {r['texted']}/{r['n']} (group Reach {r['reach']}), duplicates {r['duplicates']}, "
            f"429s {r['rejected_429']}, recipients {dict(sorted(r['statuses'].items()))}\n"
            f"      devhost peak RSS (VmHWM) {fmt_kb(r['hwm_kb'])}, RSS p50 during send "
            f"{fmt_kb(percentile(r['rss_samples'], 50) if r['rss_samples'] else 0)}, at end {fmt_kb(r['rss_end_kb'])}\n"
            f"      {CpuMeter.text(cpu)}; devhost {per_msg:.2f} ms CPU per text\n"
            f"      longest pause between texts {r['longest_pause_s']:.2f} s; texting time lost to pauses "
            f"{r['paused_s']:.1f} s")


def parse_list(text: str, kind: type) -> list[Any]:
    return [kind(x) for x in text.split(",") if x.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--rates", default=None, help="fake Twilio capacities, msg/s (default 100,200,500)")
    parser.add_argument("--n", type=int, default=None, help="group size for the throughput runs (default 10000)")
    parser.add_argument("--mem-sizes", default=None, help="group sizes for peak RSS (default 10000,40000)")
    parser.add_argument("--mem-rate", type=float, default=500.0,
                        help="capacity for the memory runs (default 500; a throughput run with the same N and "
                             "rate is reused)")
    parser.add_argument("--latency", type=float, default=0.05, help="fake Twilio latency per message, s (0.05)")
    parser.add_argument("--concurrency", type=int, default=8, help="SEND_CONCURRENCY (default 8)")
    parser.add_argument("--no-gate", action="store_true", help="no SEND_RATE_PER_SECOND: rely on 429 + backoff")
    parser.add_argument("--quick", action="store_true", help="--rates 200 --n 3000 --mem-sizes 2000,8000")
    parser.add_argument("--timeline", action="store_true", help="per-second texts and send batches running")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra devhost app setting (repeatable), e.g. to try a fix")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (devhost logs)")
    parser.add_argument("--in-memory", action="store_true",
                        help="Azurite in memory: at 100,000 recipients its on-disk database, saved whole every "
                             "few seconds, stalls every request (Table Storage has no such pause)")
    args = parser.parse_args()
    quick = {"rates": "200", "n": 3000, "mem_sizes": "2000,8000"}
    full = {"rates": "100,200,500", "n": 10_000, "mem_sizes": "10000,40000"}
    for name in full:  # --quick picks other defaults; explicit flags still win
        if getattr(args, name) is None:
            setattr(args, name, (quick if args.quick else full)[name])
    rates, mem_sizes = parse_list(args.rates, float), parse_list(args.mem_sizes, int)
    extra_env = dict(e.split("=", 1) for e in args.env)
    started = time.perf_counter()
    print("fanout benchmark: one group send -> devhost subprocess -> Azurite queues/tables -> fake Twilio "
          f"(capacity cap, {args.latency * 1000:.0f} ms latency)")
    print(machine_note())
    print(f"devhost settings: SEND_RATE_PER_SECOND={'unset' if args.no_gate else 'capacity'}, "
          f"SEND_CONCURRENCY={args.concurrency}, SMS_PROVIDER=twilio (fake), RATE_LIMIT_PER_MINUTE=0"
          + (f", extra {extra_env}" if extra_env else ""))

    plan = [(rate, args.n) for rate in rates] + [(args.mem_rate, n) for n in mem_sizes
                                                  if (args.mem_rate, n) not in [(r, args.n) for r in rates]]
    results: dict[tuple[float, int], dict[str, Any]] = {}
    with Stack("fanout", keep_dir=args.keep, in_memory=args.in_memory) as stack:
        stack.start_fake(latency=args.latency)
        tenant = stack.tenant()
        groups: dict[int, str] = {}
        for n in sorted({n for _, n in plan}):
            gid, _, secs = stack.bulk_group(tenant, f"Bench {n}", n)
            groups[n] = gid
            print(f"setup: group of {n:>6} contacts written in {secs:5.1f} s ({n / secs:5.0f} contacts/s)", flush=True)
        print("\nruns (fresh devhost each; end-to-end = N / (last provider call - send request)):")
        for rate, n in plan:
            timeout = max(300.0, 20 * n / rate)
            r = one_run(stack, tenant, groups[n], n, rate, gate=not args.no_gate, latency=args.latency,
                        concurrency=args.concurrency, timeout=timeout, extra_env=extra_env)
            results[(rate, n)] = r
            print(run_text(r), flush=True)
            if args.timeline:
                print("\n".join(r.get("timeline", [])), flush=True)

    print("\n==== summary (fanout) ====")
    print(machine_note())
    for rate in rates:
        r = results[(rate, args.n)]
        ratio = r.get("msg_per_s", 0.0) / rate
        goal = f"goal >= {GOAL_RATIO} -> {verdict(ratio >= GOAL_RATIO)}" if rate == GOAL_RATE else "(no goal)"
        print(f"throughput at {rate:>4g} msg/s, N={args.n}: {r.get('msg_per_s', 0.0):6.1f} msg/s = "
              f"{ratio:.3f} x capacity  {goal}")
    if GOAL_RATE not in rates:
        print(f"throughput goal at {GOAL_RATE:g} msg/s: not run")
    mem = [(n, results[(args.mem_rate, n)]) for n in mem_sizes if (args.mem_rate, n) in results]
    for n, r in mem:
        print(f"peak RSS of devhost at N={n:>6} (capacity {args.mem_rate:g}): {fmt_kb(r['hwm_kb'])}"
              f"  (texted {r['texted']}/{n})")
    if len(mem) >= 2:
        (n0, r0), (n1, r1) = mem[0], mem[-1]
        h0, h1 = r0["hwm_kb"], r1["hwm_kb"]
        ratio = h1 / h0 if h0 else float("inf")
        print(f"peak RSS ratio N={n1} / N={n0}: {ratio:.3f} (+{(h1 - h0) / 1024:.1f} MB for {n1 - n0} more "
              f"recipients = {(h1 - h0) * 1024 / max(1, n1 - n0):.0f} bytes each)  goal flat (<= {GOAL_MEM_RATIO}) "
              f"-> {verdict(ratio <= GOAL_MEM_RATIO and r1['texted'] == n1)}")
    else:
        print("memory goal: needs two --mem-sizes")
    print(f"total bench time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
