"""What one text costs: storage calls (counted at the storage endpoint, which is what Azure
bills) and CPU milliseconds of the app and of storage, for a text sent and a text received.

Sent: one group send of ``--sent`` recipients through the whole pipeline (action -> dispatch ->
send -> the fake Twilio, results written), outbox latency none. Received: ``--received`` signed
Twilio webhooks at ``--rate`` per second into one subscribed flow (webhook -> inbound queue ->
stored, fan-out -> notify queue -> signed POST to the flow). Each phase runs on a fresh devhost
(``python -m devhost``, a separate process) whose storage goes through
``bench/_storage_meter.py``'s counting proxies to a private Azurite.

    .venv/bin/python bench/cost_per_text.py                       # this checkout
    .venv/bin/python bench/cost_per_text.py --baseline ../base    # side by side with another
                                                                  # checkout of the project, in one run

With ``--baseline`` each phase runs on the baseline's devhost and on this checkout's,
alternated ``--rounds`` times (machines here differ by 2x, and a shared machine's load drifts:
only a side-by-side ratio means anything), and the ratios are printed beside the goal: app CPU
per text at most 1/5 of the baseline's (the engine-at-scale issue). Storage calls are exact
counts; the idle polls of the queue triggers (empty receives) depend on time and are shown apart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, BenchTwilio, Stack, cpu_seconds, http_session, machine_note, wait_until  # noqa: E402

from tests.support.processes import start_devhost  # noqa: E402
from _storage_meter import StorageMeter, billed, table_text  # noqa: E402

import requests  # noqa: E402

GOAL_CPU_RATIO = 0.2  # app CPU per text at most 1/5 of the baseline's
_free_sender = 5_550_000  # the first subscriber number (+1415 ...) no phase has texted from yet


def _take_senders(count: int) -> int:
    """The first of ``count`` sender numbers no earlier phase used."""
    global _free_sender
    first, _free_sender = _free_sender, _free_sender + count
    return first


class Host:
    """``python -m devhost`` from a checkout (this one or the baseline), on the meter."""

    def __init__(self, root: Path, env: dict[str, str], log: Path) -> None:
        from devhost.azurite import free_port

        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = start_devhost({**env, "PUBLIC_BASE_URL": self.base_url}, self.port, log, timeout=90,
                                     cwd=root)

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def host_env(stack: Stack, meter: StorageMeter, fake: BenchTwilio) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AzureWebJobs.")}
    env.update({"AzureWebJobsStorage": meter.connection_string, "PYTHONUNBUFFERED": "1",
                "RATE_LIMIT_PER_MINUTE": "0", "CALLBACK_ALLOW_LOCALHOST": "true", **fake.env()})
    return env


def measure(stack: Stack, meter: StorageMeter, host: Host, work: Any, spy: Path | None = None) -> dict[str, Any]:
    """Run ``work()`` (returns the number of texts) and read what it cost; ``spy``: record the
    devhost's stacks meanwhile with py-spy (collapsed stacks, for a flame graph)."""
    import signal

    recorder = None
    if spy is not None:
        recorder = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                     str(host.process.pid), "--format", "raw", "--rate", "200", "--gil", "--subprocesses",
                                     "-o", str(spy)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    calls0, app0, st0, t0 = meter.snapshot(), host.cpu(), cpu_seconds(stack.azurite.process.pid), time.monotonic()
    n = work()
    if recorder is not None:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=60)
    calls = meter.snapshot() - calls0
    return {"n": n, "calls": calls, "app_cpu": host.cpu() - app0,
            "storage_cpu": cpu_seconds(stack.azurite.process.pid) - st0, "wall": time.monotonic() - t0}


def sent_phase(stack: Stack, host: Host, tenant: Any, group_id: str, size: int) -> int:
    fake = stack.fake
    assert fake is not None
    api = http_session(tenant.key)
    fake.reset()
    res = api.post(f"{host.base_url}/api/messages/sendsinglegroup", json={"To": group_id, "Body": "Cost benchmark"},
                   timeout=60)
    res.raise_for_status()
    cid = res.json()["Data"]["CampaignId"]
    if not wait_until(lambda: fake.progress()[0] >= size, 600, 0.1):
        raise RuntimeError(f"only {fake.progress()[0]} of {size} texted")

    def final() -> bool:
        data = api.get(f"{host.base_url}/api/campaigns/{cid}", timeout=60).json()["Data"]
        return data["Status"] == "Sent"

    # the last result writes land just after the last provider call; a GET also settles the
    # status on a checkout that settles it on read (counted: "send and wait" reads it too)
    wait_until(final, 120, 0.5)
    time.sleep(1.0)
    return size


def received_phase(stack: Stack, host: Host, tenant: Any, count: int, rate: float, label: str) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from twilio.request_validator import RequestValidator

    from tests.inbound.receiver import Receiver

    fake = stack.fake
    assert fake is not None
    flow = Receiver().start()
    try:
        api = http_session(tenant.key)
        path = flow.new_path()
        res = api.post(f"{host.base_url}/api/twilio/registration", json={"WebHookUri": flow.url(path)}, timeout=30)
        res.raise_for_status()
        sub_location = res.headers["Location"]
        validator = RequestValidator(fake.auth_token)
        url = f"{host.base_url}/api/twilio/inbound"
        # senders no phase has used: a burst of replies, each sender's first text since the
        # business last read its thread (a sender with unread texts costs a read more)
        first = _take_senders(count)
        hooks = http_session()
        hooks.mount("http://", requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32))

        def post(i: int) -> None:
            sid = f"SM{label}{i:08d}".ljust(34, "0")[:34]
            params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": fake.account_sid,
                      "From": f"+1415{first + i:07d}", "To": tenant.phone, "Body": f"{label}-{i}",
                      "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ToCity": "", "ToZip": "",
                      "FromCountry": "US", "ApiVersion": "2010-04-01"}
            headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
            hooks.post(url, data=params, headers=headers, timeout=60).raise_for_status()

        start = time.monotonic()

        def fire(i: int) -> None:
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            post(i)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(fire, range(count)))
        if not wait_until(lambda: len(flow.hits(path)) >= count, 300, 0.1):
            raise RuntimeError(f"only {len(flow.hits(path))} of {count} received texts reached the flow")
        time.sleep(1.0)
        api.delete(sub_location, timeout=30)
        return count
    finally:
        flow.stop()


def per_text(r: dict[str, Any]) -> dict[str, float]:
    n = r["n"] or 1
    return {"calls": billed(r["calls"]) / n, "polls": (sum(r["calls"].values()) - billed(r["calls"])) / n,
            "app_ms": r["app_cpu"] / n * 1000, "storage_ms": r["storage_cpu"] / n * 1000}


INBOUND_PUT = "queue inbound put"  # the meter's name for a webhook's queue write


def summary(label: str, runs: list[dict[str, Any]]) -> str:
    figures = [per_text(r) for r in runs]
    med = {k: statistics.median(f[k] for f in figures) for k in figures[0]}
    puts = sum(r["calls"].get(INBOUND_PUT, 0) for r in runs)
    group = (f"   {sum(r['n'] for r in runs) / puts:.1f} texts per inbound message (sdk_floor.py --group)"
             if puts else "")
    return (f"  {label:<10} storage calls {med['calls']:6.2f}/text (+{med['polls']:.2f} idle polls)   "
            f"app CPU {med['app_ms']:6.2f} ms/text   storage CPU {med['storage_ms']:6.2f} ms/text"
            f"   (median of {len(runs)}){group}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sent", type=int, default=2000, help="recipients of the group send (default 2000)")
    parser.add_argument("--received", type=int, default=300, help="received texts (default 300)")
    parser.add_argument("--rate", type=float, default=20.0, help="received texts per second (default 20)")
    parser.add_argument("--baseline", type=Path, help="another checkout of the project to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="alternations with --baseline (default 2)")
    parser.add_argument("--detail", action="store_true", help="print the calls by kind")
    parser.add_argument("--spy", type=Path, help="record py-spy stacks of this checkout's devhost per phase "
                                                 "into <SPY>-<phase>.txt")
    args = parser.parse_args()

    checkouts = [("this", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    print(machine_note())
    with Stack("cost") as stack:
        fake = stack.start_fake()
        meter = StorageMeter(stack.azurite).start()
        try:
            tenant = stack.tenant()
            rounds = args.rounds if args.baseline else 1
            groups = [stack.bulk_group(tenant, f"Cost {i}", args.sent)[0] for i in range(rounds * len(checkouts))]
            env = host_env(stack, meter, fake)
            for rnd in range(rounds):
                order = checkouts if rnd % 2 == 0 else checkouts[::-1]
                for name, root in order:
                    for phase in ("sent", "received"):
                        host = Host(root, env, stack.dir / f"devhost-{name}-{phase}-{rnd}.log")
                        try:
                            # warm-up: imports, pools, queues (not counted)
                            if phase == "sent":
                                api = http_session(tenant.key)
                                api.post(f"{host.base_url}/api/messages/sendsimple",
                                         json={"To": stack.phones.take(1)[0], "Body": "warm-up"},
                                         timeout=60).raise_for_status()
                                wait_until(lambda: fake.progress()[0] >= 1, 60, 0.05)
                                group = groups.pop()
                                work = lambda: sent_phase(stack, host, tenant, group, args.sent)  # noqa: E731
                            else:
                                received_phase(stack, host, tenant, 3, 5.0, f"w{name[0]}{rnd}")
                                work = lambda: received_phase(stack, host, tenant, args.received, args.rate,  # noqa: E731
                                                              f"{name[0]}{rnd}")
                            time.sleep(1.0)
                            spy = (args.spy.with_name(f"{args.spy.name}-{phase}.txt")
                                   if args.spy and name == "this" and rnd == 0 else None)
                            r = measure(stack, meter, host, work, spy)
                        finally:
                            host.stop()
                        results.setdefault((name, phase), []).append(r)
                        print(f"[{name} {phase} round {rnd + 1}] {r['n']} texts in {r['wall']:.1f} s", flush=True)
        finally:
            meter.stop()

    for phase, unit in (("sent", f"group send of {args.sent}"), ("received", f"{args.received} texts at {args.rate:g}/s")):
        print(f"\n{phase} ({unit}):")
        for name, _ in checkouts:
            print(summary(name, results[(name, phase)]))
            if args.detail:
                calls: Counter[str] = results[(name, phase)][-1]["calls"]
                print(table_text(calls, results[(name, phase)][-1]["n"]))
        if args.baseline:
            this = statistics.median(per_text(r)["app_ms"] for r in results[("this", phase)])
            base = statistics.median(per_text(r)["app_ms"] for r in results[("baseline", phase)])
            calls_this = statistics.median(per_text(r)["calls"] for r in results[("this", phase)])
            calls_base = statistics.median(per_text(r)["calls"] for r in results[("baseline", phase)])
            ratio = this / base if base else float("nan")
            print(f"  app CPU per text: this / baseline = {ratio:.2f} (goal <= {GOAL_CPU_RATIO:g}: "
                  f"{'PASS' if ratio <= GOAL_CPU_RATIO else 'MISS'});  storage calls {calls_this:.2f} vs "
                  f"{calls_base:.2f} per text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
