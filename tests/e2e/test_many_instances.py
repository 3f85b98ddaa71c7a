"""Three `python -m devhost` processes on ONE storage account, as Azure scales the app out.

Every instance runs every function: they take send batches from the same queue, answer HTTP
calls (any of them may get a request or a webhook) and each has the scheduler timer. What a user
must see: a send to 300 numbers texting each exactly once, also when one instance is killed
(SIGKILL) mid-send — the survivors finish once the dead instance's queue messages come back
(their lease is DEVHOST_QUEUE_LEASE_SECONDS here, 600 s like the host by default) —, the campaign
Sent with exact counters; the scheduler's once-a-minute work run by one instance per minute
(devhost models the host's singleton lock on the timer, a blob lease, and a survivor takes it
over when its holder dies); and a received text delivered once to each subscribed flow, even
when Twilio's retry of the webhook reaches another instance.

Runs on its own Azurite (the timer lock, the queues and the counts are this test's alone)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.inbound.helpers import post_webhook, subscribe, text_params
from tests.inbound.receiver import Receiver
from tests.messaging.crash_runs import start_host
from tests.support.client import Api
from tests.support.fake_twilio import FakeTwilio
from tests.support.processes import cli_json
from tests.support.tenants import new_phone

N = 300
INSTANCES = 3
LEASE_SECONDS = "4"       # a killed instance's messages come back after this
LOCK_RETRY_SECONDS = "3"  # how often an instance without the timer lock tries to take it (Azure: 60)
SCHEDULER_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d):\d\d,\d+ .*\bScheduler \[timer ")


class Instance:
    def __init__(self, proc: subprocess.Popen, base: str, log: Path) -> None:
        self.proc, self.base, self.log = proc, base, log

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def count(self, needle: str) -> int:
        return self.text().count(needle)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):  # noqa: ANN001, ANN201
    from devhost import azurite

    root = tmp_path_factory.mktemp("many")
    store = azurite.start(root / "azurite")
    fake = FakeTwilio(latency=0.1).start()  # ~5 s per send batch of 99 at 2 in flight
    receiver = Receiver().start()
    instances: list[Instance] = []
    try:
        env = {**os.environ, **fake.env(), "AzureWebJobsStorage": store.connection_string,
               "SMS_TIMEOUT_SECONDS": "1", "SEND_STUCK_SECONDS": "6", "SEND_CONCURRENCY": "2",
               "RATE_LIMIT_PER_MINUTE": "0", "PYTHONUNBUFFERED": "1", "DEVHOST_QUEUE_LEASE_SECONDS": LEASE_SECONDS,
               "DEVHOST_TIMER_LOCK_RETRY_SECONDS": LOCK_RETRY_SECONDS, "CALLBACK_ALLOW_LOCALHOST": "true"}
        account = cli_json(env, "account", "create", "--name", "Scaled Out Salon", "--phone", new_phone(),
                               "--no-quiet-hours")  # texts at any hour the suite runs
        key = cli_json(env, "key", "create", "--account", account["AccountId"], "--name", "t", "--days", "30")["ApiKey"]
        for i in range(INSTANCES):
            log = root / f"devhost-{i}.log"
            proc, base = start_host(env, log)
            instances.append(Instance(proc, base, log))
        yield {"env": env, "fake": fake, "key": key, "account": account, "instances": instances,
               "receiver": receiver, "started": time.time()}
    finally:
        for inst in instances:
            if inst.proc.poll() is None:
                inst.proc.send_signal(signal.SIGTERM)
                try:
                    inst.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    inst.proc.kill()
                    inst.proc.wait(timeout=10)
        receiver.stop()
        fake.stop()
        store.stop()


def _holder(instances: list[Instance]) -> Instance | None:
    """The instance whose log says it took the scheduler's lock last (and did not lose it)."""
    held = [i for i in instances if i.proc.poll() is None and i.count("Scheduler.Listener acquired")
            > i.count("Scheduler.Listener lost")]
    return held[0] if len(held) == 1 else None


def _campaign(api: Api, campaign_id: str) -> dict[str, Any]:
    for c in api.get("campaigns", params={"top": 100}).json()["Data"]:
        if c["CampaignId"] == campaign_id:
            return c
    return {}


def _port(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[0]


@pytest.mark.timeout(300)
def test_a_send_on_three_instances_one_killed_texts_everyone_once(cluster):
    fake, instances = cluster["fake"], cluster["instances"]
    holder = _holder(instances)
    assert holder is not None, "exactly one instance holds the scheduler's timer lock"
    api = Api(instances[-1].base, cluster["key"])
    phones = [new_phone("332") for _ in range(N)]
    body = "Scaled out"
    res = api.post("messages/sendtomulticontact", {"ContactNumber": ",".join(phones), "Body": body})
    assert res.status_code in (200, 202), res.text
    campaign_id = res.json()["Data"]["CampaignId"]

    def texts() -> Counter[str]:
        return Counter(m.to for m in fake.messages if m.body == body)

    def by_instance() -> Counter[str]:  # each instance's status callback URL names its own port
        return Counter(_port(m.status_callback or "") for m in fake.messages if m.body == body)

    # kill (SIGKILL) the instance texting the most, mid-send
    deadline = time.monotonic() + 120
    while sum(texts().values()) < N // 5:
        assert time.monotonic() < deadline, "the send never got going"
        time.sleep(0.05)
    busiest = by_instance().most_common(1)[0][0]
    (victim,) = [i for i in instances if _port(i.base) == busiest]
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(timeout=10)
    at_kill = sum(texts().values())
    assert at_kill < N, "the send finished before the kill: nothing was in flight"
    survivors = [i for i in instances if i is not victim]
    api = Api(survivors[-1].base, cluster["key"])

    deadline = time.monotonic() + 180
    while (c := _campaign(api, campaign_id)).get("Status") != "Sent":
        assert time.monotonic() < deadline, c
        time.sleep(0.5)
    counts = texts()
    assert sorted(counts) == sorted(phones), f"{len(set(phones) - set(counts))} never texted"
    assert {p: n for p, n in counts.items() if n > 1} == {}
    assert (c["SentCount"], c["Reach"], c["PendingCount"]) == (N, N, 0)
    after = by_instance()
    assert sum(after[_port(i.base)] for i in survivors) > 0, "the survivors finished what the dead one left"

    # the timer's lock: still one holder; a survivor takes it over when its holder was killed
    deadline = time.monotonic() + 40
    while _holder(survivors) is None:
        assert time.monotonic() < deadline, "no survivor holds the scheduler's lock"
        time.sleep(0.5)
    cluster["killed_holder"] = victim is holder


@pytest.mark.timeout(200)
def test_the_scheduler_runs_once_a_minute_and_a_received_text_reaches_each_flow_once(cluster):
    fake, instances, receiver = cluster["fake"], cluster["instances"], cluster["receiver"]
    alive = [i for i in instances if i.proc.poll() is None]
    assert len(alive) >= 2
    api = Api(alive[0].base, cluster["key"])
    paths = [receiver.new_path(), receiver.new_path()]
    for path in paths:
        subscribe(api, receiver.url(path))
    params = text_params(new_phone(), cluster["account"]["Phone"], "Two instances, one text")
    # Twilio retries a webhook that timed out: the same text (one MessageSid) reaches two instances
    posts = [threading.Thread(target=post_webhook, args=(inst.base, fake.auth_token, params)) for inst in alive]
    for t in posts:
        t.start()
    for t in posts:
        t.join()
    for path in paths:
        assert len(receiver.wait(path, 1, timeout=20)) == 1
    time.sleep(3)  # a duplicate would have come by now
    assert [len(receiver.hits(p)) for p in paths] == [1, 1]

    # every instance ran since the cluster started; let at least two minute boundaries pass
    started = cluster["started"]
    wait = max(0.0, (started // 60 + 2) * 60 + 3 - time.time())
    time.sleep(wait)
    per_minute: Counter[str] = Counter()
    for inst in instances:
        for line in inst.text().splitlines():
            if m := SCHEDULER_LINE.match(line):
                per_minute[m.group(1)] += 1
    assert per_minute, "the scheduler never ran"
    assert max(per_minute.values()) == 1, per_minute  # one instance per minute, never all of them
