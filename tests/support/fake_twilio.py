"""A fake Twilio Messages API on 127.0.0.1, driven through the real twilio-python client.

Prism (the spec mock) proves our requests are well-formed but always answers the spec's
fixed example; this fake behaves: it authenticates, stores messages, lists them back with
Twilio's filters and paging, rate-limits (429/20429), fails on demand (500, stalls) and
refuses numbers with Twilio's real error codes. Tests and benchmarks inspect what it got.

    with FakeTwilio() as fake:
        settings = Settings(sms_provider="twilio", **fake.settings_kwargs())
        ...
        assert fake.count_by_to() == {"+15551230001": 1}
"""

from __future__ import annotations

import base64
import hmac
import json
import math
import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

API_VERSION = "2010-04-01"
FAULT_KINDS = ("429", "500", "timeout", "timeout_after_accept")

ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource {path} was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by "
                 "the 'To' number: {to}."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
}


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def rfc2822(at: datetime | None) -> str | None:
    """Twilio's date format: 'Thu, 24 Aug 2023 05:01:45 +0000'."""
    return format_datetime(at.astimezone(timezone.utc)).replace("-0000", "+0000") if at else None


def estimate_segments(body: str) -> int:
    """Roughly Twilio's count (GSM-7 160/153, else UCS-2 70/67); the fake needs no more."""
    gsm = all(ord(c) < 128 for c in body)
    single, multi = (160, 153) if gsm else (70, 67)
    units = len(body) if gsm else len(body.encode("utf-16-le")) // 2
    return 1 if units <= single else math.ceil(units / multi)


@dataclass(frozen=True)
class FakeMessage:
    """One message the fake accepted (``from_`` because ``from`` is a keyword; m["from"] works)."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    media_urls: tuple[str, ...]
    status_callback: str | None
    time: float                      # time.time() when accepted
    date_created: datetime
    date_sent: datetime | None       # None while "queued" (mark_sent=False)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, "from_" if key == "from" else key)

    @property
    def status(self) -> str:
        return "sent" if self.date_sent else ("accepted" if self.messaging_service_sid else "queued")


@dataclass(frozen=True)
class Attempt:
    """Every request the fake received, accepted or not."""

    method: str
    path: str
    params: dict[str, list[str]]
    status: int                      # HTTP status answered (0: stalled, client gone)
    outcome: str                     # "created", "listed", "401", "429", "500", "timeout", 21211 ...
    time: float = field(default_factory=time.time)

    @property
    def to(self) -> str | None:
        values = self.params.get("To")
        return values[0] if values else None


class _TokenBucket:
    """``rate`` tokens per second, burst ``rate`` (at least 1): Twilio's queue-less 429s."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = max(1.0, rate)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(max(1.0, self.rate), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _parse_filter_date(raw: str) -> date | datetime | None:
    raw = raw.strip()
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def _compare(sent: datetime, bound: date | datetime, op: str) -> bool:
    """Twilio documents day granularity; twilio-python sends even a ``date`` as
    ``YYYY-MM-DDT00:00:00Z``, so an exact ``DateSent`` compares days, inequalities instants."""
    if op == "=" and isinstance(bound, datetime):
        bound = bound.date()
    left: date | datetime = sent if isinstance(bound, datetime) else sent.date()
    return {"=": left == bound, ">": left >= bound, "<": left <= bound}[op]


class FakeTwilio:
    """Threaded HTTP server speaking enough of Twilio's 2010-04-01 Messages API.

    Knobs (plain attributes, change them any time): ``latency`` seconds per create,
    ``list_latency`` seconds per message listing (Twilio's take 100 ms or more),
    ``capacity`` creates per second (token bucket, over it 429/20429), ``fail_rate`` with
    ``fail_kinds`` (see FAULT_KINDS; "timeout" stalls ``stall_seconds`` without recording,
    "timeout_after_accept" records then stalls), ``permanent`` {number: error code},
    ``mark_sent`` (listed messages have date_sent; False leaves them queued without one),
    ``next_faults`` (faults for the next message creates, in order, before any random one) and
    ``list_failures`` (the next N message listings answer 429/20429).
    """

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None, *,
                 latency: float = 0.0, capacity: float | None = None, fail_rate: float = 0.0,
                 fail_kinds: tuple[str, ...] = ("500",), seed: int = 0, stall_seconds: float = 2.0,
                 permanent: dict[str, int] | None = None, mark_sent: bool = True,
                 list_latency: float = 0.0) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.latency = latency
        self.list_latency = list_latency
        self.fail_rate = fail_rate
        self.fail_kinds = tuple(fail_kinds)
        self.stall_seconds = stall_seconds
        self.permanent: dict[str, int] = dict(permanent or {})
        self.mark_sent = mark_sent
        self.next_faults: list[str] = []
        self.list_failures = 0
        self._capacity = capacity
        self._bucket = _TokenBucket(capacity) if capacity else None
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._messages: list[FakeMessage] = []
        self._attempts: list[Attempt] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        bad = set(self.fail_kinds) - set(FAULT_KINDS)
        if bad:
            raise ValueError(f"unknown fail_kinds {sorted(bad)}; use {FAULT_KINDS}")

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "FakeTwilio":
        handler = type("Handler", (_Handler,), {"fake": self})
        server = _Server(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()   # wakes stalled handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "FakeTwilio":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTwilio is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings_kwargs(self) -> dict[str, Any]:
        """Field values for ``Settings(...)`` that point the Twilio provider here."""
        return {"twilio_account_sid": self.account_sid, "twilio_auth_token": self.auth_token,
                "twilio_api_base_url": self.base_url}

    def env(self) -> dict[str, str]:
        """Environment variables that point the app's Twilio provider here."""
        return {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": self.account_sid,
                "TWILIO_AUTH_TOKEN": self.auth_token, "TWILIO_API_BASE_URL": self.base_url}

    # -- configuration helpers -------------------------------------------------------------
    @property
    def capacity(self) -> float | None:
        return self._capacity

    @capacity.setter
    def capacity(self, value: float | None) -> None:
        with self._lock:
            self._capacity = value
            self._bucket = _TokenBucket(value) if value else None

    def unsubscribe(self, number: str) -> None:
        """The recipient texted STOP: sends answer 400 / 21610."""
        self.permanent[number] = 21610

    def landline(self, number: str) -> None:
        """Not a mobile number: sends answer 400 / 21614."""
        self.permanent[number] = 21614

    def reset(self) -> None:
        """Forget messages and attempts (configuration stays)."""
        with self._lock:
            self._messages.clear()
            self._attempts.clear()

    # -- inspection ------------------------------------------------------------------------
    @property
    def messages(self) -> list[FakeMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def attempts(self) -> list[Attempt]:
        with self._lock:
            return list(self._attempts)

    def count_by_to(self) -> dict[str, int]:
        return dict(Counter(m.to for m in self.messages))

    # -- behaviour (called from handler threads) -------------------------------------------
    def _record_attempt(self, attempt: Attempt) -> None:
        with self._lock:
            self._attempts.append(attempt)

    def _draw_fault(self) -> str | None:
        with self._lock:
            if self.next_faults:
                return self.next_faults.pop(0)
            if self._bucket is not None and not self._bucket.take():
                return "429"
            if self.fail_rate and self.fail_kinds and self._rng.random() < self.fail_rate:
                return self._rng.choice(self.fail_kinds)
        return None

    def _accept(self, form: dict[str, list[str]]) -> FakeMessage:
        now = datetime.now(timezone.utc)
        service = (form.get("MessagingServiceSid") or [None])[0]
        msg = FakeMessage(
            sid=new_sid("SM"), account_sid=self.account_sid, to=form["To"][0],
            from_=None if service else form["From"][0], messaging_service_sid=service,
            body=(form.get("Body") or [""])[0], media_urls=tuple(form.get("MediaUrl") or ()),
            status_callback=(form.get("StatusCallback") or [None])[0], time=time.time(),
            date_created=now, date_sent=now if self.mark_sent else None,
        )
        with self._lock:
            self._messages.append(msg)
        return msg

    def _select(self, query: dict[str, list[str]]) -> list[FakeMessage]:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        to, sender = one("To"), one("From")
        date_filters = [(op, _parse_filter_date(one(name) or ""))
                        for op, name in (("=", "DateSent"), (">", "DateSent>"), ("<", "DateSent<"))
                        if one(name)]
        out = []
        for m in self.messages:
            if to and m.to != to or sender and m.from_ != sender:
                continue
            if any(bound is None or m.date_sent is None or not _compare(m.date_sent, bound, op)
                   for op, bound in date_filters):
                continue
            out.append(m)
        return sorted(out, key=lambda m: m.time, reverse=True)   # newest first, like Twilio

    def message_json(self, m: FakeMessage) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{m.account_sid}/Messages/{m.sid}"
        return {
            "account_sid": m.account_sid, "api_version": API_VERSION, "body": m.body,
            "date_created": rfc2822(m.date_created), "date_updated": rfc2822(m.date_sent or m.date_created),
            "date_sent": rfc2822(m.date_sent), "direction": "outbound-api", "error_code": None,
            "error_message": None, "from": m.from_, "messaging_service_sid": m.messaging_service_sid,
            "num_media": str(len(m.media_urls)), "num_segments": str(estimate_segments(m.body)),
            "price": None, "price_unit": "USD", "sid": m.sid, "status": m.status, "to": m.to,
            "subresource_uris": {"media": uri + "/Media.json"}, "uri": uri + ".json",
        }


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that died mid-request (a killed host, in the crash tests) is no error."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def _error_body(code: int, **fmt: str) -> tuple[int, dict[str, Any]]:
    status, text = ERRORS[code]
    return status, {"code": code, "message": text.format(**fmt),
                    "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive: the client's pooled connections are reused
    fake: FakeTwilio

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
        pass

    # -- plumbing --------------------------------------------------------------------------
    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", "1")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _answer(self, method: str, path: str, params: dict[str, list[str]], status: int,
                outcome: str, payload: dict[str, Any]) -> None:
        self.fake._record_attempt(Attempt(method, path, params, status, outcome))
        self._send_json(status, payload)

    def _stall(self, method: str, path: str, params: dict[str, list[str]], outcome: str) -> None:
        self.fake._record_attempt(Attempt(method, path, params, 0, outcome))
        self.fake._stopping.wait(self.fake.stall_seconds)
        self.close_connection = True   # the client gave up long ago; just hang up

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (hmac.compare_digest(user, self.fake.account_sid)
                and hmac.compare_digest(password, self.fake.auth_token))

    def _route(self) -> tuple[str, dict[str, list[str]], bool]:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        expected = f"/{API_VERSION}/Accounts/{self.fake.account_sid}/Messages.json"
        return parts.path, query, parts.path == expected

    # -- endpoints -------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        path, _, known = self._route()
        fake = self.fake
        if fake.latency:
            time.sleep(fake.latency)
        if not self._authorized():
            return self._answer("POST", path, form, 401, "401", _error_body(20003)[1])
        if not known:
            return self._answer("POST", path, form, 404, "404", _error_body(20404, path=path)[1])
        to = (form.get("To") or [""])[0]
        for code, missing in ((21604, not to),
                              (21603, not (form.get("From") or form.get("MessagingServiceSid"))),
                              (21602, not (form.get("Body") or form.get("MediaUrl")))):
            if missing:
                status, body = _error_body(code)
                return self._answer("POST", path, form, status, str(code), body)
        fault = fake._draw_fault()
        if fault in ("429", "500"):
            status, body = _error_body(20429 if fault == "429" else 20500)
            return self._answer("POST", path, form, status, fault, body)
        if fault == "timeout":
            return self._stall("POST", path, form, "timeout")
        code = fake.permanent.get(to)
        if code:
            status, body = _error_body(code, to=to)
            return self._answer("POST", path, form, status, str(code), body)
        message = fake._accept(form)
        if fault == "timeout_after_accept":
            return self._stall("POST", path, form, "timeout_after_accept")
        payload = fake.message_json(message)
        payload["status"] = "accepted" if message.messaging_service_sid else "queued"
        payload["date_sent"] = None     # Twilio's create response: not sent yet
        self._answer("POST", path, form, 201, "created", payload)

    def do_GET(self) -> None:  # noqa: N802
        path, query, known = self._route()
        if self.fake.list_latency:
            time.sleep(self.fake.list_latency)
        if not self._authorized():
            return self._answer("GET", path, query, 401, "401", _error_body(20003)[1])
        if not known:
            return self._answer("GET", path, query, 404, "404", _error_body(20404, path=path)[1])
        with self.fake._lock:
            failing = self.fake.list_failures > 0
            self.fake.list_failures -= failing
        if failing:
            return self._answer("GET", path, query, 429, "429", _error_body(20429)[1])
        try:
            size = max(1, min(1000, int((query.get("PageSize") or ["50"])[0])))
            page = max(0, int((query.get("Page") or ["0"])[0]))
        except ValueError:
            size, page = 50, 0
        selected = self.fake._select(query)
        chunk = selected[page * size:(page + 1) * size]
        keep = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(p: int) -> str:
            args = [(k, v) for k, vs in keep.items() for v in vs]
            args += [("PageSize", str(size)), ("Page", str(p))]
            if p:
                args.append(("PageToken", f"PA{p}"))
            return f"{path}?{urlencode(args, quote_via=quote)}"

        more = (page + 1) * size < len(selected)
        payload = {
            "messages": [self.fake.message_json(m) for m in chunk],
            "end": page * size + max(len(chunk) - 1, 0), "start": page * size,
            "page": page, "page_size": size, "uri": uri(page), "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "previous_page_uri": uri(page - 1) if page else None,
        }
        self._answer("GET", path, query, 200, "listed", payload)
