"""Request limits, per instance: a sliding one-minute window per API key, and a budget of
failed authentications per key id and per client address that is checked BEFORE the secret.

Power Automate already caps a custom connector at 500 calls a minute per connection; the
per-key limit protects the backend from a runaway flow or a leaked key hammering one
instance. The window slides: no 60-second span ever holds more than the limit (a fixed
per-minute window let nearly twice the limit through across a minute boundary).

Failed authentications are counted whatever the outcome would have been, and once a key id
(or a client address) has used up its budget every request naming it is refused with a 429
until the oldest failure leaves the window — before the secret is compared, so a guesser
learns nothing from the answers and the right secret is refused too for that while. Only
guesses count (a wrong secret, an unknown or malformed key): a revoked or expired key proved
its secret, and a missing header guesses nothing. Times come from the one clock."""

from __future__ import annotations

import math
import threading
from collections import deque

from ..common.clock import utcnow
from ..common.errors import RateLimited

WINDOW_SECONDS = 60.0
AUTH_FAILURES_PER_KEY = 20        # wrong secrets for one key id in any 60 s, then 429
AUTH_FAILURES_PER_ADDRESS = 100   # failed authentications from one client address in any 60 s
MAX_TRACKED = 10_000              # keys remembered before idle ones are dropped


def _now() -> float:
    return utcnow().timestamp()


class SlidingWindow:
    """At most ``limit`` events per key in any ``window``-second span: a log of each key's
    recent event times (at most ``limit`` of them)."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS) -> None:
        self.limit, self.window = limit, window
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        times = self._events.get(key)
        if times is not None:
            while times and times[0] <= now - self.window:
                times.popleft()
        return times

    def wait(self, key: str, now: float) -> float:
        """Seconds until one more event is allowed for ``key``; 0 when it is allowed now."""
        with self._lock:
            times = self._recent(key, now)
            if times is None or len(times) < self.limit:
                return 0.0
            return times[0] + self.window - now

    def add(self, key: str, now: float) -> None:
        with self._lock:
            self._append(key, now)

    def take(self, key: str, now: float) -> float:
        """Count an event if allowed (returns 0), else return the seconds to wait; atomic."""
        with self._lock:
            times = self._recent(key, now)
            if times is not None and len(times) >= self.limit:
                return times[0] + self.window - now
            self._append(key, now)
            return 0.0

    def _append(self, key: str, now: float) -> None:
        times = self._recent(key, now)
        if times is None:
            if len(self._events) >= MAX_TRACKED:
                self._forget_idle(now)
            times = self._events[key] = deque(maxlen=self.limit)
        times.append(now)

    def _forget_idle(self, now: float) -> None:
        self._events = {k: v for k, v in self._events.items() if v and v[-1] > now - self.window}


def _retry(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class RateLimiter:
    """Requests per API key: ``per_minute`` in any 60 s (0 = no limit)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window = SlidingWindow(max(per_minute, 1))

    def check(self, key: str, now: float | None = None) -> None:
        if self.per_minute <= 0:
            return
        wait = self._window.take(key, _now() if now is None else now)
        if wait > 0:
            retry = _retry(wait)
            raise RateLimited(f"Too many requests with this API key: at most {self.per_minute} in any minute. "
                              f"Retry after {retry} seconds.", headers={"Retry-After": retry})


class AuthGuard:
    """The failed-authentication budget of key ids and client addresses."""

    def __init__(self, per_key: int = AUTH_FAILURES_PER_KEY, per_address: int = AUTH_FAILURES_PER_ADDRESS) -> None:
        self._keys = SlidingWindow(per_key)
        self._addresses = SlidingWindow(per_address)

    def check(self, key_id: str | None, address: str | None, now: float | None = None) -> None:
        """Raise 429 when the key id or the address has no failures left (before any secret
        is compared)."""
        now = _now() if now is None else now
        wait = max(self._keys.wait(key_id, now) if key_id else 0.0,
                   self._addresses.wait(address, now) if address else 0.0)
        if wait > 0:
            retry = _retry(wait)
            raise RateLimited(f"Too many failed API key attempts. Retry after {retry} seconds with the right key.",
                              code="TooManyFailedAttempts", headers={"Retry-After": retry})

    def failed(self, key_id: str | None, address: str | None, now: float | None = None) -> None:
        now = _now() if now is None else now
        if key_id:
            self._keys.add(key_id, now)
        if address:
            self._addresses.add(address, now)


def client_address(forwarded_for: str | None) -> str | None:
    """The caller's address from ``X-Forwarded-For`` as Azure's front ends set it ("ip:port",
    appended last to whatever the client sent), without the port; None when unknown."""
    if not forwarded_for:
        return None
    last = forwarded_for.split(",")[-1].strip()
    if last.startswith("["):  # [v6]:port
        return last[1:].split("]", 1)[0] or None
    if last.count(":") == 1:  # v4:port
        last = last.split(":", 1)[0]
    return last[:64] or None
