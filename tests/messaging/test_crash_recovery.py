"""The devhost process killed mid-fan-out and restarted: every recipient texted once, none lost.

Runs on its own Azurite so the session's in-process host (outbox provider) never touches
these queues."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.support.client import Api
from tests.support.fake_twilio import FakeTwilio
from tests.support.processes import cli_json, start_devhost
from tests.support.tenants import new_phone


@pytest.mark.timeout(240)
@pytest.mark.parametrize(("lease", "stuck"), [("4", "3"), ("2", "8")], ids=["stuck-when-retried", "young-when-retried"])
def test_killed_mid_fanout_every_recipient_texted_once(tmp_path, lease: str, stuck: str):
    """Both orders: the dead host's send messages come back after their lease (``lease``) —
    before or after its claimed rows count as stuck (``stuck``). Rows still young then must be
    looked at again later, not dropped."""
    from devhost import azurite
    from devhost.azurite import free_port

    store = azurite.start(tmp_path / "azurite")
    fake = FakeTwilio(latency=0.1).start()  # ~40 texts/s: the kill lands mid-fan-out even on a loaded machine
    hosts: list[subprocess.Popen] = []
    try:
        env = {**os.environ, **fake.env(), "AzureWebJobsStorage": store.connection_string,
               "DEVHOST_QUEUE_LEASE_SECONDS": lease, "SEND_STUCK_SECONDS": stuck, "SMS_TIMEOUT_SECONDS": "1",
               "SEND_CONCURRENCY": "4", "PYTHONUNBUFFERED": "1"}
        port = free_port()
        log = tmp_path / "devhost.log"

        account = cli_json(env, "account", "create", "--name", "Crash Test Bakery", "--phone", new_phone(),

                               "--no-quiet-hours")  # texts at any hour the suite runs
        key = cli_json(env, "key", "create", "--account", account["AccountId"], "--name", "t", "--days", "30")["ApiKey"]
        hosts.append(start_devhost(env, port, log))
        api = Api(f"http://127.0.0.1:{port}", key)
        phones = [new_phone("646") for _ in range(300)]
        group = api.post("groups", {"Name": "All", "Contacts": phones}).json()["Data"]
        campaign = api.post("messages/sendsinglegroup", {"To": group["GroupId"], "Body": "Fresh bread"}).json()
        campaign_id = campaign["Data"]["CampaignId"]

        deadline = time.monotonic() + 60
        while len(fake.messages) < 60 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert 0 < len(fake.messages) < 300, f"kill must land mid-fan-out (texted {len(fake.messages)})"
        hosts[0].send_signal(signal.SIGKILL)
        hosts[0].wait(timeout=10)
        at_kill = len(fake.messages)

        hosts.append(start_devhost(env, port, log))
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            c = api.get(f"campaigns/{campaign_id}").json()["Data"]
            if c["Status"] == "Sent":
                break
            time.sleep(0.5)
        assert c["Status"] == "Sent", c
        counts = fake.count_by_to()
        assert sorted(counts) == sorted(phones), f"lost: {len(set(phones) - set(counts))}"
        twice = {p: n for p, n in counts.items() if n > 1}
        assert not twice, f"texted twice: {twice}"
        assert c["SentCount"] == 300 and at_kill < 300
    finally:
        for proc in hosts:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        fake.stop()
        store.stop()
