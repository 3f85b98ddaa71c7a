"""Start (or reuse) the Azurite storage emulator for local runs and tests.

Azurite comes from npm into the project's own ``node_modules`` (``make`` installs it), so a
fresh machine needs nothing but Node. Tests start a private instance on free ports in a
temporary folder; ``make run`` reuses one already listening on the default ports. Azurite runs
strict (no ``--loose``), so it rejects headers and parameters that Azure Storage rejects.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared_code.common.storage.connection import DEFAULT_PORTS  # noqa: F401 - the one definition, used by devhost.settings
from shared_code.common.storage.connection import development_storage as connection_string

ROOT = Path(__file__).resolve().parent.parent



def _listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def azurite_binary() -> str:
    local = ROOT / "node_modules" / ".bin" / "azurite"
    if local.exists():
        return str(local)
    found = shutil.which("azurite")
    if found:
        return found
    raise RuntimeError("Azurite is not installed: run `npm ci` (make does it for you)")


@dataclass
class Azurite:
    """A running (or reused) Azurite: its ports, connection string and, if ours, the process."""

    blob_port: int
    queue_port: int
    table_port: int
    process: subprocess.Popen | None = None
    log_path: Path | None = field(default=None)

    @property
    def connection_string(self) -> str:
        return connection_string(self.blob_port, self.queue_port, self.table_port)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate our Azurite (a reused one is left alone).

        On SIGTERM Azurite 3.37 closes its three services (saving its data) but, once it has
        served requests, the node process itself can linger; so once the log says all three
        closed, give it a moment and kill it rather than wait the whole timeout.
        """
        if not self.process or self.process.poll() is not None:
            return
        offset = self.log_path.stat().st_size if self.log_path and self.log_path.exists() else 0
        self.process.terminate()
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            if self._services_closed(offset):
                try:
                    self.process.wait(timeout=0.3)
                except subprocess.TimeoutExpired:
                    break
            time.sleep(0.05)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)

    def _services_closed(self, offset: int) -> bool:
        if not self.log_path or not self.log_path.exists():
            return False
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().count(b"service successfully closed") >= 3


def start(location: Path, ports: tuple[int, int, int] | None = None, timeout: float = 30.0,
          in_memory: bool = False) -> Azurite:
    """Start a new Azurite with data under ``location`` (free ports unless given). ``in_memory``:
    nothing written to disk — a benchmark's big tables are not saved every few seconds (a
    pause of seconds at 200,000 rows that Azure Storage has no counterpart of); ``location``
    then holds only the log."""
    location.mkdir(parents=True, exist_ok=True)
    blob, queue, table = ports or (free_port(), free_port(), free_port())
    log_path = location / "azurite.log"
    log = open(log_path, "ab")
    proc = subprocess.Popen(
        [
            azurite_binary(), *(["--inMemoryPersistence"] if in_memory else ["--location", str(location)]),
            "--skipApiVersionCheck",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", str(blob), "--queuePort", str(queue), "--tablePort", str(table),
        ],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Azurite exited with {proc.returncode}; see {log_path}")
        if all(_listening(p) for p in (blob, queue, table)):
            return Azurite(blob, queue, table, proc, log_path)
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"Azurite did not start within {timeout:.0f}s; see {log_path}")


def ensure(location: Path) -> Azurite:
    """Reuse an Azurite already on the default ports, else start one (default or free ports)."""
    if all(_listening(p) for p in DEFAULT_PORTS):
        return Azurite(*DEFAULT_PORTS)
    if not any(_listening(p) for p in DEFAULT_PORTS):
        return start(location, DEFAULT_PORTS)
    return start(location)


if __name__ == "__main__":  # pragma: no cover - manual use: python -m devhost.azurite
    az = ensure(Path(os.environ.get("AZURITE_LOCATION", ROOT / ".azurite")))
    print(az.connection_string, flush=True)
    if az.process:
        try:
            az.process.wait()
        except KeyboardInterrupt:
            az.stop()
