"""The README's walk-through, as a user runs it: `python -m devhost` (what `make run` starts),
the admin CLI, then plain HTTP calls with the key."""

from __future__ import annotations

import os
import signal
import subprocess

import requests

from tests.support.processes import cli_json, start_devhost
from tests.support.tenants import new_phone


def test_walkthrough_against_a_devhost_process(storage, tmp_path):
    from devhost.azurite import free_port

    port = free_port()
    env = {**os.environ, "AzureWebJobsStorage": storage, "PYTHONUNBUFFERED": "1"}
    host = start_devhost(env, port, tmp_path / "devhost.log")
    try:
        base = f"http://127.0.0.1:{port}/api"
        account = cli_json(env, "account", "create", "--name", "Walkthrough Cafe", "--phone", new_phone(),
                               "--no-quiet-hours")  # texts at any hour the suite runs
        key = cli_json(env, "key", "create", "--account", account["AccountId"], "--name", "flow",
                       "--days", "30")["ApiKey"]
        s = requests.Session()
        s.trust_env = False
        made = s.post(f"{base}/contacts/contactnew", json={"Phone": "+14155550123", "Name": "Ada"},
                      headers={"ApiKey": key}, timeout=10)
        assert made.status_code == 200 and made.json()["Data"]["Phone"] == "+14155550123"
        listed = s.get(f"{base}/contacts", headers={"ApiKey": key}, timeout=10).json()
        assert listed["Success"] is True and [c["Name"] for c in listed["Data"]] == ["Ada"]
        wrong = s.get(f"{base}/contacts", headers={"ApiKey": key[:-2] + "xx"}, timeout=10)
        assert wrong.status_code == 401 and wrong.json()["Error"]["Code"] == "ApiKeyInvalid"
    finally:
        host.send_signal(signal.SIGTERM)
        try:
            code = host.wait(timeout=30)
        except subprocess.TimeoutExpired:
            host.kill()
            raise
    assert code == 0
