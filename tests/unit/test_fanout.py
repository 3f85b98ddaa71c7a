"""map_concurrently, the one fan-out of the send batch and of a group's deliveries to flows:
results in the items' order, never more than the limit in flight, and a lone item (a single
received text, a one-recipient batch) run in the caller's thread without starting a pool."""

from __future__ import annotations

import threading
import time

from shared_code.common.fanout import map_concurrently


def test_results_keep_the_order_and_the_limit_caps_calls_in_flight() -> None:
    lock, running, peak = threading.Lock(), [0], [0]

    def call(n: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02 * (5 - n % 5))  # later items finish first
        with lock:
            running[0] -= 1
        return n * n

    assert map_concurrently(call, list(range(10)), 3) == [n * n for n in range(10)]
    assert peak[0] == 3


def test_a_lone_item_runs_in_the_callers_thread() -> None:
    before = threading.active_count()
    assert map_concurrently(lambda _: threading.get_ident(), ["only"], 8) == [threading.get_ident()]
    assert threading.active_count() == before
    assert map_concurrently(lambda _: threading.get_ident(), [1, 2], 8) != [threading.get_ident()] * 2
