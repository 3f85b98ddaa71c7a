"""The README's walk-through, as a user runs it: `python -m devhost` (what `make run` starts),
the admin CLI, then plain HTTP calls with the key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import requests

from tests.conftest import ROOT
from tests.support.tenants import new_phone


def test_walkthrough_against_a_devhost_process(storage):
    from devhost.azurite import free_port

    port = free_port()
    env = {**os.environ, "AzureWebJobsStorage": storage, "PYTHONUNBUFFERED": "1"}
    host = subprocess.Popen([sys.executable, "-m", "devhost", "--port", str(port), "--azurite", "no"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/account", timeout=2)
                break
            except requests.ConnectionError:
                assert host.poll() is None, host.stdout.read() if host.stdout else ""
                assert time.monotonic() < deadline, "devhost did not start"
                time.sleep(0.2)

        def cli(*args: str) -> dict:
            out = subprocess.run([sys.executable, "-m", "shared_code.cli", *args, "--json"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=60, check=True)
            return json.loads(out.stdout)

        account = cli("account", "create", "--name", "Walkthrough Cafe", "--phone", new_phone())
        key = cli("key", "create", "--account", account["AccountId"], "--name", "flow", "--days", "30")["ApiKey"]
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
