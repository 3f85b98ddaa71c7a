"""Calls made side by side (a group's POSTs to flows, a batch's provider sends): the one way to
fan out, with at most a given number in flight."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_concurrently(fn: Callable[[T], R], items: Sequence[T], limit: int) -> list[R]:
    """``fn`` of every item, in the items' order, at most ``limit`` at once. A single item runs
    in this thread: a pool would cost a thread start (about 0.25 ms of CPU) for nothing, and a
    lone received text or send is the common case."""
    if len(items) == 1:
        return [fn(items[0])]
    with ThreadPoolExecutor(max_workers=max(1, min(limit, len(items)))) as pool:
        return list(pool.map(fn, items))
