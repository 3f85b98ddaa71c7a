"""Received texts end to end: signed Twilio webhooks at a steady rate into a ``python -m
devhost`` process (a separate process, on a private Azurite), one subscribed flow (a local HTTP
receiver), and the latency from the webhook's arrival to the flow's callback receiving it.

Path measured per text: POST /api/twilio/inbound (signature check, enqueue, empty TwiML) ->
``inbound`` queue (store once, keywords, fan-out) -> ``notify`` queue (claim, signed POST) ->
receiver. Latency = receiver's arrival time - the moment the webhook request was issued (same
machine, same clock). Every text has its own MessageSid and body, so lost and duplicated
deliveries are counted exactly; the receiver also checks each delivery's HMAC signature.

    .venv/bin/python bench/inbound.py                  # 50 texts/s for 30 s (the issue's goal)
    .venv/bin/python bench/inbound.py --rate 100 --seconds 10

Goal (received-texts issue): p95 <= 1 s, none lost, none duplicated. Prints PASS or MISS and
exits 0 either way (figures are for the report).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import cpu_seconds, http_session, percentile  # noqa: E402  (also puts the repo on sys.path)

import requests  # noqa: E402

from tests.inbound.receiver import Receiver  # noqa: E402
from tests.support.fake_twilio import FakeTwilio  # noqa: E402
from tests.support.processes import start_devhost  # noqa: E402
from tests.support.tenants import new_tenant  # noqa: E402

GOAL_P95 = 1.0


def session(key: str | None = None) -> requests.Session:
    """The harness's session with a bigger pool: 50 texts a second go out from many threads."""
    s = http_session(key)
    s.mount("http://", requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32))
    return s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="texts per second (default 50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send (default 30)")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for stragglers (default 60)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (devhost log, Azurite data)")
    args = parser.parse_args()

    from devhost import azurite as az
    from devhost.azurite import free_port
    from shared_code.common import context

    work = Path(tempfile.mkdtemp(prefix="ptx-bench-inbound-"))
    storage = fake = flow = proc = None
    try:
        storage = az.start(work / "azurite")
        os.environ["AzureWebJobsStorage"] = storage.connection_string
        os.environ["SMS_PROVIDER"] = "outbox"  # this process only seeds the tenant
        context.reset()
        fake = FakeTwilio().start()  # its auth token signs the webhooks; keyword replies would go here
        flow = Receiver().start()
        tenant = new_tenant("Bench Inbound")

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AzureWebJobs.")}
        env.update({"AzureWebJobsStorage": storage.connection_string, "PYTHONUNBUFFERED": "1",
                    "PUBLIC_BASE_URL": base, "RATE_LIMIT_PER_MINUTE": "0", "CALLBACK_ALLOW_LOCALHOST": "true",
                    **fake.env()})
        log_path = work / "devhost.log"
        proc = start_devhost(env, port, log_path)

        api = session(tenant.key)
        path = flow.new_path()
        res = api.post(f"{base}/api/twilio/registration", json={"WebHookUri": flow.url(path)}, timeout=30)
        res.raise_for_status()
        secret = res.json()["Data"]["Secret"]

        from twilio.request_validator import RequestValidator

        validator = RequestValidator(fake.auth_token)
        url = f"{base}/api/twilio/inbound"
        hooks = session()

        def post(i: int, label: str) -> tuple[float, int]:
            sid = f"SM{label}{i:08d}".ljust(34, "0")
            params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": fake.account_sid,
                      "From": f"+1415555{i % 10000:04d}", "To": tenant.phone, "Body": f"{label}-{i}",
                      "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ToCity": "", "ToZip": "",
                      "FromCountry": "US", "ApiVersion": "2010-04-01"}
            sig = validator.compute_signature(url, params)
            t0 = time.time()
            r = hooks.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=30)
            return t0, r.status_code

        # warm-up: imports, queues, connection pools
        post(0, "warm")
        if len(flow.wait(path, 1, timeout=30)) != 1:
            print("warm-up text never arrived; see", log_path)
            return 1
        time.sleep(1.0)

        total = int(args.rate * args.seconds)
        sent_at: dict[str, float] = {}
        statuses: Counter[int] = Counter()
        lock = threading.Lock()
        cpu0 = {"devhost": cpu_seconds(proc.pid), "azurite": cpu_seconds(storage.process.pid),
                "bench": cpu_seconds(os.getpid())}
        wall0 = time.monotonic()
        start = time.monotonic() + 0.2

        def fire(i: int) -> None:
            delay = start + i / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t0, status = post(i, "b")
            with lock:
                sent_at[f"b-{i}"] = t0
                statuses[status] += 1

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(fire, range(total)))
        send_span = time.monotonic() - start
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:
            got = {h.json["Body"] for h in flow.hits(path)} & set(sent_at)
            if len(got) >= total:
                break
            time.sleep(0.2)
        time.sleep(2.0)  # anything arriving twice arrives now
        wall = time.monotonic() - wall0
        cpu = {"devhost": cpu_seconds(proc.pid) - cpu0["devhost"],
               "azurite": cpu_seconds(storage.process.pid) - cpu0["azurite"],
               "bench": cpu_seconds(os.getpid()) - cpu0["bench"]}

        hits = [h for h in flow.hits(path) if h.json["Body"] in sent_at]
        counts = Counter(h.json["Body"] for h in hits)
        first: dict[str, float] = {}
        for h in hits:
            body = h.json["Body"]
            first[body] = min(first.get(body, h.at), h.at)
        latencies = [first[b] - sent_at[b] for b in first]
        delivered = len(first)
        lost = total - delivered
        duplicated = sum(n - 1 for n in counts.values() if n > 1)
        unsigned = sum(1 for h in hits if not h.signed_with(secret))
        p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))

        print(f"received texts: {args.rate:g}/s for {args.seconds:g} s into one devhost process, one subscribed flow")
        print(f"  webhooks sent      {total} in {send_span:.1f} s ({total / send_span:.1f}/s); answers {dict(statuses)}")
        print(f"  delivered to flow  {delivered} / {total}   lost {lost}   duplicated {duplicated}   "
              f"bad signatures {unsigned}")
        if latencies:
            print(f"  webhook -> callback latency: p50 {p50 * 1000:.0f} ms  p95 {p95 * 1000:.0f} ms  "
                  f"p99 {p99 * 1000:.0f} ms  max {max(latencies) * 1000:.0f} ms  "
                  f"mean {statistics.fmean(latencies) * 1000:.0f} ms")
        print("  CPU over %.1f s wall: " % wall + ", ".join(f"{k} {v:.1f}s ({v / wall * 100:.0f}%)"
                                                          for k, v in cpu.items()) + f" ({os.cpu_count()} cores)")
        try:
            print("  load average:", " ".join(open("/proc/loadavg").read().split()[:3]))
        except OSError:
            pass
        ok = bool(latencies) and p95 <= GOAL_P95 and lost == 0 and duplicated == 0 and unsigned == 0
        print(f"goal p95 <= {GOAL_P95:g} s, none lost, none duplicated: {'PASS' if ok else 'MISS'}")
        return 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except Exception:
                proc.kill()
        if flow is not None:
            flow.stop()
        if fake is not None:
            fake.stop()
        if storage is not None:
            storage.stop()
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
