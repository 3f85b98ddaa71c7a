"""Counts the storage calls an app makes, at the storage endpoint: a small HTTP proxy in front
of each of Azurite's three services (blob, queue, table), so what is counted is what Azure
would bill as transactions — one per request, a table batch (``$batch``) being one request.

    meter = StorageMeter(azurite).start()
    env["AzureWebJobsStorage"] = meter.connection_string    # the app talks to the proxies
    before = meter.snapshot()
    ...                                                     # the work being measured
    calls = meter.snapshot() - before                       # Counter of (service, kind) -> calls

Deterministic for a given workload (unlike CPU seconds), except for the queue polls a queue
trigger makes while idle, which depend on time: those are reported apart (``kind`` ends in
``empty``: a GET of messages that returned none).
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade"}
_TABLE_PATH = re.compile(r"^/[^/]+/(?P<table>[A-Za-z0-9$]+)(?P<keys>\(.*\))?$")
_QUEUE_PATH = re.compile(r"^/[^/]+/(?P<queue>[^/]+)(?P<messages>/messages(?P<id>/[^/]+)?)?$")
_BLOB_PATH = re.compile(r"^/[^/]+/(?P<container>[^/]+)(?P<blob>/.+)?$")


def classify(service: str, method: str, path: str, query: str, body_empty: bool) -> str:
    """A request's kind, as a reader of the bill would name it: ``table Campaigns get``,
    ``table $batch``, ``queue send put``, ``queue send receive`` ..."""
    path = unquote(path)
    if service == "table":
        m = _TABLE_PATH.match(path)
        if not m:
            return f"table {method} {path}"
        table = m.group("table")
        if table == "$batch":
            return "table $batch"
        if table == "Tables":
            return f"table Tables {method.lower()}"
        keyed = m.group("keys") and "RowKey" in m.group("keys")
        verb = {"GET": "get" if keyed else "query", "POST": "insert", "PUT": "replace", "MERGE": "merge",
                "PATCH": "merge", "DELETE": "delete"}.get(method, method.lower())
        return f"table {table} {verb}"
    if service == "queue":
        m = _QUEUE_PATH.match(path)
        if not m:
            return f"queue {method} {path}"
        name = m.group("queue")
        if not m.group("messages"):
            return f"queue {name} {'create' if method == 'PUT' else 'properties' if method == 'GET' else method.lower()}"
        if m.group("id"):
            return f"queue {name} {'delete' if method == 'DELETE' else 'update'}"
        if method == "GET":
            return f"queue {name} {'peek' if 'peekonly' in query else 'receive'}"
        return f"queue {name} {'put' if method == 'POST' else method.lower()}"
    m = _BLOB_PATH.match(path)
    container = m.group("container") if m else "?"
    what = "blob" if m and m.group("blob") else "container"
    if "comp=lease" in query:
        what += " lease"
    return f"blob {container} {what} {method.lower()}"


class _Proxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, service: str, target_port: int, meter: "StorageMeter") -> None:
        self.service, self.target_port, self.meter = service, target_port, meter
        self.local = threading.local()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Proxy

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _upstream(self) -> http.client.HTTPConnection:
        conn = getattr(self.server.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.target_port, timeout=120)
            self.server.local.conn = conn
        return conn

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        for attempt in range(2):
            conn = self._upstream()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                res = conn.getresponse()
                data = res.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self.server.local.conn = None
                if attempt:
                    raise
        parts = urlsplit(self.path)
        kind = classify(self.server.service, self.command, parts.path, parts.query, not body)
        if kind.endswith(" receive") and b"<QueueMessage>" not in data:
            kind += " empty"
        self.server.meter._count(kind)
        self.send_response(res.status, res.reason)
        for k, v in res.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_MERGE = do_PATCH = do_HEAD = do_OPTIONS = _forward


class StorageMeter:
    """Three counting proxies for one Azurite (``devhost.azurite.Azurite``)."""

    def __init__(self, azurite: Any) -> None:
        self.azurite = azurite
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._servers: dict[str, _Proxy] = {}

    def start(self) -> "StorageMeter":
        for service, port in (("blob", self.azurite.blob_port), ("queue", self.azurite.queue_port),
                              ("table", self.azurite.table_port)):
            server = _Proxy(service, port, self)
            threading.Thread(target=server.serve_forever, daemon=True, name=f"meter-{service}").start()
            self._servers[service] = server
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    @property
    def connection_string(self) -> str:
        from devhost.azurite import connection_string

        return connection_string(*(self._servers[s].server_address[1] for s in ("blob", "queue", "table")))

    def _count(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def snapshot(self) -> Counter[str]:
        with self._lock:
            return Counter(self._counts)


def billed(calls: Counter[str]) -> int:
    """Calls but the idle polls (empty receives), which depend on time, not on the work."""
    return sum(n for kind, n in calls.items() if not kind.endswith(" empty"))


def table_text(calls: Counter[str], per: int, label: str = "text") -> str:
    """The calls per unit of work, most first."""
    lines = [f"    {kind:<44} {n:>8}  {n / per:>7.2f} per {label}" for kind, n in calls.most_common()]
    return "\n".join(lines)
