"""Exactly once through repeated crashes: one group send of N recipients during which the host
is killed three times, close together; then every text the fake Twilio got is counted.

Each run is one campaign (its own text) to a group of N contacts, through ``python -m devhost``
processes on one Azurite and the repo's fake Twilio (50 ms per text, 50 ms per message listing).
The kills of one run (tests/messaging/crash_runs.py does the killing; the next host starts at
once, as Azure replaces a recycled instance):

1. the first host dies by itself right after its Nth provider call returned, before that
   batch's results are written (``TEST_ONLY_CRASH_AFTER_PROVIDER_CALLS``; N random in
   [N/10, N/2]): between a provider call and the result write;
2. the second host is kill -9'd as soon as it has re-claimed a recipient left ``sending`` by the
   first and not yet written its result: inside the stuck window;
3. the third host dies after its Nth provider call (N random in [50, 400]), mid-recovery again.

A fourth host finishes the campaign. Runs alternate between SEND_STUCK_SECONDS=20 with a 15 s
queue lease (the issue's settings: the rows are young when the dead host's messages come back)
and SEND_STUCK_SECONDS=8 with a 20 s lease (stuck at once). SMS_TIMEOUT_SECONDS=5.

    .venv/bin/python bench/crash_exactly_once.py              # 6 runs at N=3000 (~15 min)
    .venv/bin/python bench/crash_exactly_once.py --quick      # 2 runs at N=3000
    .venv/bin/python bench/crash_exactly_once.py --runs 10 --n 5000 --seed 7

Goals (issue "Exactly once, even when the host dies twice"): 0 duplicates and 0 missing over
every run, every campaign Sent, every planned kill landed. Exits 0 whether goals are met or missed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Stack, machine_note, verdict  # noqa: E402

from tests.messaging.crash_runs import AFTER_CALLS, RECLAIM, Kill, Outcome, run  # noqa: E402

SETTINGS = (("15", "20"), ("20", "8"))  # (DEVHOST_QUEUE_LEASE_SECONDS, SEND_STUCK_SECONDS), alternating


def plan_for(rng: random.Random, n: int) -> list[Kill]:
    return [Kill(AFTER_CALLS, rng.randint(max(1, n // 10), max(2, n // 2))), Kill(RECLAIM),
            Kill(AFTER_CALLS, rng.randint(50, 400))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--runs", type=int, default=None, help="campaigns, each with 3 kills (default 6)")
    parser.add_argument("--n", type=int, default=3000, help="recipients per campaign (default 3000)")
    parser.add_argument("--seed", type=int, default=None, help="for the kill points (default: random, printed)")
    parser.add_argument("--quick", action="store_true", help="--runs 2")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (devhost logs)")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 6)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    started = time.perf_counter()
    print(f"crash bench: {runs} run(s) x {args.n} recipients, 3 kills per run, seed {seed}")
    print(machine_note())

    outcomes: list[tuple[str, list[Kill], Outcome]] = []
    with Stack("crash", keep_dir=args.keep) as stack:
        fake = stack.start_fake(latency=0.05, list_latency=0.05)
        tenant = stack.tenant("Crash Bench Bakery")
        group_id, phones, secs = stack.bulk_group(tenant, "Everyone", args.n)
        print(f"setup: group of {args.n} contacts written in {secs:.1f} s", flush=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith("AzureWebJobs.")}
        base.update({"AzureWebJobsStorage": stack.azurite.connection_string, "PYTHONUNBUFFERED": "1",
                     "RATE_LIMIT_PER_MINUTE": "0", "SMS_TIMEOUT_SECONDS": "5", **fake.env()})
        for i in range(runs):
            lease, stuck = SETTINGS[i % len(SETTINGS)]
            plan = plan_for(rng, args.n)
            label = f"lease {lease} s, stuck {stuck} s"
            out = run(env={**base, "DEVHOST_QUEUE_LEASE_SECONDS": lease, "SEND_STUCK_SECONDS": stuck},
                      connection_string=stack.azurite.connection_string, fake=fake, key=tenant.key,
                      group_id=group_id, phones=phones, body=f"Crash bench run {i + 1} (seed {seed})",
                      plan=plan, log_dir=stack.dir, timeout=900)
            outcomes.append((label, plan, out))
            print(f"run {i + 1}/{runs} ({label}): plan {[k.label() for k in plan]}\n"
                  f"  kills landed: {out.kills} at {out.seconds_at_kill} s (texts so far {out.texts_at_kill})\n"
                  f"  status {out.status or '?'} after {out.seconds:.0f} s; texts {out.texts}, "
                  f"duplicates {out.duplicates}, missing {out.missing}", flush=True)
            if out.twice:
                print(f"  texted twice (first 5): {dict(list(out.twice.items())[:5])}")

    kills_planned = sum(o.planned for _, _, o in outcomes)
    kills_landed = sum(len(o.kills) for _, _, o in outcomes)
    texts = sum(o.texts for _, _, o in outcomes)
    duplicates = sum(o.duplicates for _, _, o in outcomes)
    missing = sum(o.missing for _, _, o in outcomes)
    sent = sum(o.status == "Sent" for _, _, o in outcomes)
    print("\n==== summary (crash bench) ====")
    print(machine_note())
    print(f"runs {len(outcomes)}, recipients per run {args.n}, kills per run 3 "
          f"({kills_landed} of {kills_planned} planned kills landed), seed {seed}")
    print(f"texts {texts} (expected {len(outcomes) * args.n}), duplicates {duplicates}, missing {missing}, "
          f"campaigns Sent {sent}/{len(outcomes)}")
    print(f"duplicates: {duplicates}  goal 0 -> {verdict(duplicates == 0)}")
    print(f"missing:    {missing}  goal 0 -> {verdict(missing == 0)}")
    print(f"every campaign Sent and every planned kill landed -> "
          f"{verdict(sent == len(outcomes) and kills_landed == kills_planned)}")
    print(f"total bench time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
