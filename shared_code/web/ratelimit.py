"""Per-key request rate limit (per instance, fixed one-minute windows).

Power Automate already caps a custom connector at 500 calls a minute per connection; this
protects the backend from a runaway flow or a leaked key hammering one instance."""

from __future__ import annotations

import math
import threading
import time

from ..errors import RateLimited


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._windows: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> None:
        if self.per_minute <= 0:
            return
        now = time.time() if now is None else now
        window = int(now // 60)
        with self._lock:
            start, count = self._windows.get(key, (window, 0))
            if start != window:
                start, count = window, 0
            if count >= self.per_minute:
                retry = max(1, math.ceil((window + 1) * 60 - now))
                raise RateLimited(f"Too many requests with this API key: at most {self.per_minute} a minute. "
                                  f"Retry after {retry} seconds.", headers={"Retry-After": str(retry)})
            self._windows[key] = (start, count + 1)
            if len(self._windows) > 10_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
