"""``python -m devhost`` end to end: a subprocess serves the sample app, stops cleanly on SIGTERM,
and a killed one's in-flight queue messages are picked up by the next one."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import requests
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64EncodePolicy

from devhost import azurite
from tests.devhost.helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]


def launch(
    settings: Path, env: dict[str, str], cwd: Path, log: IO[str], port: int = 0
) -> tuple[subprocess.Popen[str], str]:
    """Start ``python -m devhost`` on the sample app; returns the process and its banner once ready."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "devhost", "--app", "tests.devhost.sample_app:app", "--port", str(port),
         "--settings", str(settings)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while not any("devhost ready" in line for line in seen):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            proc.wait()
            raise AssertionError(f"devhost did not start: {seen}, exit {proc.poll()}")
        try:
            seen.append(lines.get(timeout=0.5))
        except queue.Empty:
            pass
    return proc, "".join(seen)


def test_cli_serves_and_exits_cleanly_on_sigterm(devhost_azurite: azurite.Azurite, tmp_path: Path) -> None:
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps({"IsEncrypted": False, "Values": {
        "DEVHOST_SAMPLE_GREETING": "hi", "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    }}))
    port = azurite.free_port()
    env = {**os.environ, "AzureWebJobsStorage": devhost_azurite.connection_string, "PYTHONPATH": str(ROOT)}
    env.pop("DEVHOST_SAMPLE_GREETING", None)
    log_path = tmp_path / "devhost.log"
    log = open(log_path, "w")
    proc, banner = launch(settings, env, tmp_path, log, port)
    try:
        # the repo's host.json: routePrefix "" (the portal is at the site root)
        assert f"[GET] http://127.0.0.1:{port}/hello/{{name}}" in banner
        assert "sample_queue: queue devhost-sample" in banner
        assert "sample_timer: timer 0 0 0 1 1 *" in banner
        response = requests.get(f"http://127.0.0.1:{port}/hello/you", timeout=10)
        assert (response.status_code, response.text) == (200, "hi, you")  # settings loaded before import
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        stderr = log_path.read_text()
        assert "hello [http GET /hello/you] 200" in stderr
        assert "Azurite started" not in stderr  # AzureWebJobsStorage from the environment wins
    finally:
        log.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_killed_hosts_message_is_picked_up_by_the_next_host(devhost_azurite: azurite.Azurite, tmp_path: Path) -> None:
    lease = 3
    events = tmp_path / "events.log"
    events.touch()
    client = QueueClient.from_connection_string(
        devhost_azurite.connection_string, "devhost-sample", message_encode_policy=TextBase64EncodePolicy()
    )
    try:
        client.create_queue()
    except ResourceExistsError:
        client.clear_messages()
    sent = client.send_message("crash me")
    env = {
        **os.environ, "AzureWebJobsStorage": devhost_azurite.connection_string, "PYTHONPATH": str(ROOT),
        "DEVHOST_QUEUE_LEASE_SECONDS": str(lease), "DEVHOST_SAMPLE_QUEUE_LOG": str(events),
    }
    settings = tmp_path / "no.settings.json"  # absent: the environment only
    log = open(tmp_path / "devhost.log", "w")
    procs: list[subprocess.Popen[str]] = []

    def lines(event: str, pid: int) -> list[list[str]]:
        return [line.split() for line in events.read_text().splitlines() if line.startswith(f"{event} {pid} ")]

    try:
        first, _ = launch(settings, {**env, "DEVHOST_SAMPLE_QUEUE_SLEEP": "60"}, tmp_path, log)
        procs.append(first)
        wait_for(lambda: lines("start", first.pid), timeout=10)
        first.kill()  # SIGKILL mid-invocation: nothing is deleted or released
        first.wait(timeout=10)
        killed_at = time.monotonic()

        second, _ = launch(settings, env, tmp_path, log)
        procs.append(second)
        # Back within one lease (the last renewal was < lease ago) plus a poll (max 1 s); not 10 min.
        done = wait_for(lambda: lines("done", second.pid), timeout=lease + 1 + 4)
        took = time.monotonic() - killed_at
        assert took <= lease + 1 + 5, took
        assert done[0][2:] == [sent.id, "2"], done  # the same message, delivered a second time
        assert lines("start", first.pid)[0][2:] == [sent.id, "1"]
        assert not lines("done", first.pid)
        wait_for(lambda: client.get_queue_properties().approximate_message_count == 0, timeout=5)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0
    finally:
        log.close()
        client.close()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
