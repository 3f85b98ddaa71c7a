"""Group commit: calls that arrive together share one write.

Each caller hands in an item and blocks until a write containing it has succeeded (or raises
what that write raised), so nothing is acknowledged before it is stored. The first caller of a
group leads: it waits up to ``window`` seconds for others (or until the group is full), closes
the group, writes it and wakes the rest. Callers arriving during that write start the next
group. Under a trickle a group is one item and waits ``window``; under load one storage call
carries many items — the cost per item falls exactly when it matters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Group(Generic[T]):
    def __init__(self) -> None:
        self.items: list[T] = []
        self.size = 0
        self.closed = False
        self.full = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[list[T]], None], *, window: float, max_items: int,
                 max_size: int, size_of: Callable[[T], int] = lambda _: 1) -> None:
        self._write = write
        self._window = window
        self._max_items = max_items
        self._max_size = max_size
        self._size_of = size_of
        self._lock = threading.Lock()
        self._open: _Group[T] | None = None

    def submit(self, item: T) -> None:
        size = self._size_of(item)
        with self._lock:
            group = self._open
            if group is not None and (len(group.items) >= self._max_items or group.size + size > self._max_size):
                group.closed = True
                group.full.set()
                group = None
            leader = group is None
            if leader:
                group = self._open = _Group()
            group.items.append(item)
            group.size += size
            if len(group.items) >= self._max_items:
                group.full.set()
        if leader:
            self._lead(group)
        else:
            group.done.wait()
        if group.error is not None:
            raise group.error

    def _lead(self, group: _Group[T]) -> None:
        if self._window > 0:
            group.full.wait(self._window)
        with self._lock:
            if self._open is group:
                self._open = None
            group.closed = True
        try:
            self._write(list(group.items))
        except BaseException as err:  # noqa: BLE001 - every caller of the group gets it
            group.error = err
        finally:
            group.done.set()
