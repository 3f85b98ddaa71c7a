"""``python -m devhost`` end to end: a subprocess serves the sample app and stops cleanly on SIGTERM."""

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

import requests

from devhost import azurite

ROOT = Path(__file__).resolve().parents[2]


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
    proc = subprocess.Popen(
        [sys.executable, "-m", "devhost", "--app", "tests.devhost.sample_app:app", "--port", str(port),
         "--settings", str(settings)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while not any("devhost ready" in line for line in seen):
            assert time.monotonic() < deadline and proc.poll() is None, (seen, proc.poll())
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                pass
        banner = "".join(seen)
        assert f"[GET] http://127.0.0.1:{port}/api/hello/{{name}}" in banner
        assert "sample_queue: queue devhost-sample" in banner
        assert "sample_timer: timer 0 0 0 1 1 *" in banner
        response = requests.get(f"http://127.0.0.1:{port}/api/hello/you", timeout=10)
        assert (response.status_code, response.text) == (200, "hi, you")  # settings loaded before import
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        stderr = log_path.read_text()
        assert "hello [http GET /api/hello/you] 200" in stderr
        assert "Azurite started" not in stderr  # AzureWebJobsStorage from the environment wins
    finally:
        log.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
