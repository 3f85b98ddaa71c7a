"""Run the project as a user does: `python -m devhost` and the admin CLI, as subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def cli_json(env: dict[str, str], *args: str) -> dict:
    """`python -m shared_code.cli ... --json` against the storage named in ``env``."""
    out = subprocess.run([sys.executable, "-m", "shared_code.cli", *args, "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def start_devhost(env: dict[str, str], port: int, log: Path, timeout: float = 60,
                  cwd: Path = ROOT) -> subprocess.Popen:
    """Start `python -m devhost` on ``port`` (output to ``log``) and wait until it answers;
    ``cwd``: the checkout whose app it serves (a bench compares another one)."""
    proc = subprocess.Popen([sys.executable, "-m", "devhost", "--port", str(port), "--azurite", "no"], cwd=cwd,
                            env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"devhost exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            # Connecting proves it listens; the answer may take a while: HTTP calls wait for a thread
            # of the worker pool, which the queue work of a restarted host can fill (as in Azure).
            requests.get(f"http://127.0.0.1:{port}/api/account", timeout=(1, 60))
            return proc
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("devhost did not start")
