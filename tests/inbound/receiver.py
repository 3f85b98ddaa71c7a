"""A local HTTP receiver standing in for a Power Automate flow's callback URL.

Threaded ``http.server`` on 127.0.0.1: records every POST (path, headers, body, arrival time)
and answers per path — 200 by default, or a status set with ``answer(path, status)``, or
after ``delay`` seconds. ``stop()`` and ``start()`` again on the same port make it "down for a
while"."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-PowerTextor-Signature", ""), expected)


class Receiver:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: list[Hit] = []
        self._status: dict[str, int] = {}
        self._delay: dict[str, float] = {}
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?")[0]
                receiver._record(Hit(path, dict(self.headers.items()), body, time.time()))
                time.sleep(receiver._delay.get(path, 0.0))
                status = receiver._status.get(path, 200)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server, self.port = server, server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)

    def new_path(self) -> str:
        return f"/flow/{uuid.uuid4().hex}"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}?api-version=2016-06-01&sig=secret"

    def answer(self, path: str, status: int, delay: float = 0.0) -> None:
        self._status[path] = status
        self._delay[path] = delay

    def hits(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self._hits if h.path == path]

    def wait(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Hit]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.hits(path)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        return self.hits(path)
