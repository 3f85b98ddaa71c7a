"""One group send during which the host is killed several times, then what the fake Twilio got.

Shared by tests/messaging/test_multi_crash.py (a small audience, in ``make test``) and
bench/crash_exactly_once.py (3,000+ recipients, more runs). Every host is a real
``python -m devhost`` process on the caller's Azurite, texting through the fake Twilio; each
planned kill ends one host, and the next host is started at once, as a recycled instance is
replaced in Azure. Two ways to die:

- ``AFTER_CALLS``: the host exits by itself (os._exit, like kill -9) once its Nth provider call
  (a send or a "did it go out?" lookup) has returned, before that result is written
  (``TEST_ONLY_CRASH_AFTER_PROVIDER_CALLS``, shared_code/messaging/sending.py).
- ``RECLAIM``: kill -9 as soon as this host has re-claimed a recipient left ``sending`` by a dead
  host and not yet written its result: inside the stuck window.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from shared_code.messaging.sending import CRASH_EXIT_CODE
from tests.support.client import Api
from tests.support.fake_twilio import FakeTwilio

ROOT = Path(__file__).resolve().parents[2]
AFTER_CALLS, RECLAIM = "after_calls", "reclaim"
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Kill:
    kind: str          # AFTER_CALLS or RECLAIM
    calls: int = 0     # AFTER_CALLS: the provider call after which the host dies

    def env(self) -> dict[str, str]:
        return {"TEST_ONLY_CRASH_AFTER_PROVIDER_CALLS": str(self.calls)} if self.kind == AFTER_CALLS else {}

    def label(self) -> str:
        return f"after call {self.calls}" if self.kind == AFTER_CALLS else "re-claimed stuck row"


@dataclass
class Outcome:
    campaign_id: str
    planned: int
    kills: list[str] = field(default_factory=list)      # what each kill hit, in order
    texts_at_kill: list[int] = field(default_factory=list)
    seconds_at_kill: list[float] = field(default_factory=list)  # since the send request
    texts: int = 0
    duplicates: int = 0                                   # texts beyond the first, over all numbers
    missing: int = 0                                      # numbers never texted
    twice: dict[str, int] = field(default_factory=dict)
    status: str = ""
    campaign: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return (self.status == "Sent" and self.duplicates == 0 and self.missing == 0
                and len(self.kills) == self.planned)


def _free_port() -> int:
    from devhost.azurite import free_port

    return free_port()


def start_host(env: dict[str, str], log: Path, timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """``python -m devhost`` on a free port; returns once it answers — or once it died of its
    planned crash (a host that finds work waiting may reach its Nth call before answering)."""
    port = _free_port()
    env = {**env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    proc = subprocess.Popen([sys.executable, "-m", "devhost", "--port", str(port), "--azurite", "no"], cwd=ROOT,
                            env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                if proc.returncode == CRASH_EXIT_CODE:
                    return proc, base
                raise AssertionError(f"devhost exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                requests.get(f"{base}/api/account", timeout=2)
                return proc, base
            except requests.RequestException:  # not listening yet, or too busy to answer in time
                time.sleep(0.2)
        raise AssertionError("devhost did not start")
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        raise


def _reclaimed(table: Any, campaign_id: str, since: datetime) -> int:
    """Recipients this host re-claimed (a second or later attempt, claimed after it started)
    and has not written a result for yet."""
    rows = table.query_entities("PartitionKey eq @pk and Status eq 'sending' and Attempts ge 2",
                                parameters={"pk": campaign_id}, select=["SendingAt"])
    return sum(1 for r in rows if r.get("SendingAt") and r["SendingAt"] >= since)


def _campaign(api: Api | None, campaign_id: str) -> dict[str, Any]:
    if api is None:
        return {}
    try:
        res = api.get(f"campaigns/{campaign_id}")
    except requests.RequestException:
        return {}
    return res.json().get("Data") or {} if res.status_code == 200 else {}


def run(*, env: dict[str, str], connection_string: str, fake: FakeTwilio, key: str, group_id: str | None,
        phones: list[str], body: str, plan: list[Kill], log_dir: Path, timeout: float = 300) -> Outcome:
    """Send ``body`` to the group, kill hosts as ``plan`` says, let a last host finish; count.

    ``env`` is every host's environment (storage, the fake, SEND_STUCK_SECONDS, the lease ...).
    Without ``group_id`` the first host makes the group of ``phones`` (through the API) first."""
    from azure.data.tables import TableClient

    from shared_code.common.storage.names import RECIPIENTS

    deadline = time.monotonic() + timeout
    table = TableClient.from_connection_string(connection_string, RECIPIENTS)
    procs: list[subprocess.Popen] = []

    def texts() -> Counter[str]:
        wanted = set(phones)
        return Counter(m.to for m in fake.messages if m.body == body and m.to in wanted)

    def launch(extra: dict[str, str]) -> tuple[subprocess.Popen, Api, datetime]:
        at = datetime.now(timezone.utc)
        proc, base = start_host({**env, **extra}, log_dir / f"devhost-{len(procs)}.log")
        procs.append(proc)
        return proc, Api(base, key), at

    try:
        proc, api, host_started = launch(plan[0].env() if plan else {})
        if group_id is None:
            made = api.post("groups", {"Name": body[:100], "Contacts": phones})
            assert made.status_code == 201, made.text
            group_id = made.json()["Data"]["GroupId"]
        sent_at = time.monotonic()
        res = api.post("messages/sendsinglegroup", {"To": group_id, "Body": body})
        assert res.status_code in (200, 202), res.text
        outcome = Outcome(res.json()["Data"]["CampaignId"], planned=len(plan))
        for i, kill in enumerate(plan):
            hit = ""
            if kill.kind == AFTER_CALLS:
                while time.monotonic() < deadline and proc.poll() is None:
                    if _campaign(api, outcome.campaign_id).get("Status") == "Sent":
                        break  # finished before its Nth call: the planned crash never came
                    time.sleep(0.25)
                if proc.poll() == CRASH_EXIT_CODE:
                    hit = kill.label()
            else:
                while time.monotonic() < deadline and proc.poll() is None:
                    n = _reclaimed(table, outcome.campaign_id, host_started)
                    if n:
                        proc.send_signal(signal.SIGKILL)
                        hit = f"{kill.label()} ({n} in flight)"
                        break
                    time.sleep(POLL_SECONDS)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            if hit:
                outcome.kills.append(hit)
            outcome.texts_at_kill.append(sum(texts().values()))
            outcome.seconds_at_kill.append(round(time.monotonic() - sent_at, 1))
            proc, api, host_started = launch(plan[i + 1].env() if i + 1 < len(plan) else {})
        while time.monotonic() < deadline:
            outcome.campaign = _campaign(api, outcome.campaign_id) or outcome.campaign
            if outcome.campaign.get("Status") == "Sent":
                break
            time.sleep(0.5)
        outcome.status = outcome.campaign.get("Status", "")
        counts = texts()
        outcome.texts = sum(counts.values())
        outcome.twice = {p: n for p, n in counts.items() if n > 1}
        outcome.duplicates = sum(n - 1 for n in outcome.twice.values())
        outcome.missing = len(set(phones) - set(counts))
        outcome.seconds = time.monotonic() - sent_at
        return outcome
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
