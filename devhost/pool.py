"""The Python worker's one thread pool for sync invocations, with the host's function timeout.

In Azure every sync invocation (HTTP, queue, timer, whatever the trigger) runs on ONE
``ThreadPoolExecutor`` of the worker (dispatcher.py ``_sync_call_tp``); the host hands the worker
as many invocations as its triggers produce and they wait there for a thread. This pool does the
same: callers (the HTTP server's request threads, queue listeners, timers) submit and wait.

``functionTimeout`` counts from the moment the host hands the invocation over, so time spent
waiting for a thread counts too. When it expires the host fails the invocation and restarts the
worker process, which frees its threads. A Python thread cannot be killed, so a timed-out call here
keeps running on its thread until it returns (its result is thrown away), and a NEW thread takes
its place so the pool keeps its size for the invocations after it, as a restarted worker has.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("devhost")

_QUEUED, _RUNNING, _DONE, _DROPPED = "queued", "running", "done", "dropped"


class PoolTimeout(Exception):
    """The call did not finish within its timeout (it may still be running on its thread)."""

    def __init__(self, started: bool) -> None:
        super().__init__("timed out while running" if started else "timed out waiting for a thread")
        self.started = started


class _Job:
    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.state = _QUEUED
        self.abandoned = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.done = threading.Event()


class SyncPool:
    """``size`` threads running submitted calls in arrival order; see the module docstring."""

    def __init__(self, size: int, name: str = "devhost-worker") -> None:
        if size < 1:
            raise ValueError("the pool needs at least one thread")
        self.size = size
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._closed = False

    def start(self) -> None:
        for _ in range(self.size):
            self._spawn()

    def stop(self) -> None:
        """Let the threads finish what is queued, then exit (a stuck call keeps only its own thread)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for _ in range(self.size):
            self._jobs.put(None)

    def run(self, fn: Callable[[], Any], timeout: float | None = None) -> Any:
        """Run ``fn`` on a pool thread and return its result (or raise its exception).

        Raises :class:`PoolTimeout` after ``timeout`` seconds (None = wait for ever); a call that
        never got a thread is dropped, one that is running is left to finish on its own.
        """
        job = _Job(fn)
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is stopped")
        self._jobs.put(job)
        if not job.done.wait(timeout):
            with job.lock:
                if job.state == _QUEUED:
                    job.state = _DROPPED
                    raise PoolTimeout(started=False)
                if job.state == _RUNNING:
                    job.abandoned = True
                    self._spawn()  # the stuck thread no longer counts: keep `size` threads for new work
                    raise PoolTimeout(started=True)
        if job.error is not None:
            raise job.error
        return job.result

    def _spawn(self) -> None:
        with self._lock:
            self._started += 1
            number = self._started
        threading.Thread(target=self._work, name=f"{self._name}-{number}", daemon=True).start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            with job.lock:
                if job.state == _DROPPED:
                    continue
                job.state = _RUNNING
            try:
                job.result = job.fn()
            except BaseException as exc:  # handed to the caller, as a Future would
                job.error = exc
            with job.lock:
                job.state = _DONE
                abandoned = job.abandoned
            job.done.set()
            if abandoned:  # a replacement thread took this one's place when the call timed out
                log.warning("a timed-out invocation finished on %s; its result was discarded", threading.current_thread().name)
                return
