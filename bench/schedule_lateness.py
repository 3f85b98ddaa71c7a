"""Schedule lateness: texts scheduled at random whole seconds over two minutes, each sent when?

200 contacts, each gets one ScheduleMessageForAContact (POST /api/messages/scheduletext with
``ScheduledAt`` = an exact UTC second) at a random second in [lead, lead + 120 s). The devhost
process runs the whole pipeline (dispatch queue with a visibility delay -> dispatch -> send queue
-> send) against Azurite and the fake Twilio (50 ms latency, no capacity cap).

lateness = time the fake Twilio accepted the text − the scheduled second. Also split into
  dispatch lateness = the campaign's DispatchedAt (written by dispatch) − the scheduled second
  send stage      = provider call − DispatchedAt
Negative lateness would be a text sent early.

    .venv/bin/python bench/schedule_lateness.py              # 200 texts over 120 s (~2.5 min)
    .venv/bin/python bench/schedule_lateness.py --quick      # 40 texts over 30 s
    .venv/bin/python bench/schedule_lateness.py --count 200 --window 120 --lead 15 --seed 1

Goals (messaging-engine issue): p95 <= 2 s, max <= 5 s. Exits 0 whether goals are met or missed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (CpuMeter, Stack, http_session, machine_note, percentile, verdict,  # noqa: E402
                      wait_until, warm_up)

GOAL_P95 = 2.0
GOAL_MAX = 5.0


def stats(values: list[float]) -> str:
    if not values:
        return "n=0"
    return (f"p50 {percentile(values, 50):6.3f} s  p95 {percentile(values, 95):6.3f} s  "
            f"max {max(values):6.3f} s  min {min(values):6.3f} s  (n={len(values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--count", type=int, default=None, help="scheduled texts (default 200)")
    parser.add_argument("--window", type=int, default=None, help="spread over this many seconds (default 120)")
    parser.add_argument("--lead", type=int, default=15, help="first possible second = now + lead (default 15)")
    parser.add_argument("--latency", type=float, default=0.05, help="fake Twilio latency per message, s (0.05)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="--count 40 --window 30")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (devhost logs)")
    args = parser.parse_args()
    args.count = args.count or (40 if args.quick else 200)
    args.window = args.window or (30 if args.quick else 120)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    print(f"schedule lateness benchmark: {args.count} texts at random seconds over {args.window} s, "
          f"devhost subprocess + Azurite + fake Twilio ({args.latency * 1000:.0f} ms latency)")
    print(machine_note())

    with Stack("schedule", keep_dir=args.keep) as stack:
        stack.start_fake(latency=args.latency)
        tenant = stack.tenant()
        _, phones, secs = stack.bulk_group(tenant, "Scheduled", args.count)
        print(f"setup: {args.count} contacts written in {secs:.1f} s")
        host = stack.start_devhost()
        print(f"warm-up text: {warm_up(stack, host, tenant):.2f} s from request to provider")
        fake = stack.fake
        assert fake is not None
        fake.reset()
        api = http_session(tenant.key)
        base = int(time.time()) + args.lead
        due = {phone: base + rng.randrange(args.window) for phone in phones}
        cpu = CpuMeter(stack, host)
        campaigns: dict[str, str] = {}
        post_ms: list[float] = []
        for phone, at in due.items():
            iso = datetime.fromtimestamp(at, timezone.utc).isoformat()
            t = time.perf_counter()
            res = api.post(f"{host.base_url}/api/messages/scheduletext",
                           json={"To": phone, "Body": "Scheduled benchmark", "ScheduledAt": iso}, timeout=30)
            post_ms.append((time.perf_counter() - t) * 1000)
            res.raise_for_status()
            data = res.json()["Data"]
            campaigns[phone] = data["CampaignId"]
            if data["Status"] != "Scheduled":
                print(f"  note: {phone} answered Status {data['Status']}")
        posted = time.time()
        late_posts = sum(1 for at in due.values() if at < posted)
        print(f"scheduled {len(campaigns)} texts in {posted - base + args.lead:.1f} s "
              f"(action p50 {percentile(post_ms, 50):.0f} ms, max {max(post_ms):.0f} ms); "
              f"first due +{min(due.values()) - base + args.lead} s, last due +{max(due.values()) - base + args.lead} s"
              + (f"; WARNING {late_posts} were due before all requests were made" if late_posts else ""), flush=True)
        last_due = max(due.values())
        wait_until(lambda: fake.progress()[0] >= args.count, max(0.0, last_due - time.time()) + 60.0, 0.5)
        used = cpu.stop()
        sent: dict[str, float] = {}
        for m in fake.messages:
            sent.setdefault(m.to, m.time)
        dispatched = _dispatch_times(tenant.account_id, campaigns)
        lateness = [sent[p] - due[p] for p in due if p in sent]
        dispatch_late = [dispatched[p] - due[p] for p in due if p in dispatched]
        send_stage = [sent[p] - dispatched[p] for p in due if p in sent and p in dispatched]
        missing = len(due) - len(lateness)
        dups = len(fake.messages) - len(sent)
        stack.stop_devhost(host)

    print("\n==== summary (schedule lateness) ====")
    print(machine_note())
    print(f"texts sent {len(lateness)}/{len(due)}, duplicates {dups}")
    print(f"lateness (provider call - scheduled second): {stats(lateness)}")
    print(f"  dispatch lateness (DispatchedAt - scheduled): {stats(dispatch_late)}")
    print(f"  send stage (provider call - DispatchedAt):     {stats(send_stage)}")
    print(f"  {CpuMeter.text(used)}")
    p95 = percentile(lateness, 95) if not missing else float("inf")
    worst = max(lateness) if lateness and not missing else float("inf")
    print(f"p95 lateness {p95:.3f} s  goal <= {GOAL_P95:g} s -> {verdict(p95 <= GOAL_P95)}")
    print(f"max lateness {worst:.3f} s  goal <= {GOAL_MAX:g} s -> {verdict(worst <= GOAL_MAX)}"
          + (f"  ({missing} never sent)" if missing else ""))
    print(f"total bench time {time.perf_counter() - started:.0f} s")
    return 0


def _dispatch_times(account_id: str, campaigns: dict[str, str]) -> dict[str, float]:
    """phone -> DispatchedAt (epoch seconds) of its campaign, read from the Campaigns table."""
    from shared_code.messaging.storage import campaigns_repo

    out: dict[str, float] = {}
    for phone, cid in campaigns.items():
        c = campaigns_repo().get(account_id, cid)
        if c is not None and c.DispatchedAt is not None:
            out[phone] = c.DispatchedAt.timestamp()
    return out


if __name__ == "__main__":
    sys.exit(main())
