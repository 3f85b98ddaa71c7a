"""Calling a user function the way the Python worker does, and counting what is in flight.

Every invocation, whatever its trigger, runs on ONE pool of ``PYTHON_THREADPOOL_THREAD_COUNT``
threads (default min(32, cores + 4)), like the worker's ``_sync_call_tp`` for sync functions; the
HTTP server's request threads, queue listeners and timers only wait for it. host.json
``functionTimeout`` bounds every invocation, waiting for a thread included (see devhost.pool).

The function gets its trigger value as its one argument and nothing else: ``async def``
functions, the ``context`` parameter and bindings other than the trigger and an HTTP ``$return``
are refused at start (devhost.validation), since this app uses none of them.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from devhost.functions import FunctionInfo
from devhost.pool import PoolTimeout, SyncPool
from devhost.settings import format_timespan

log = logging.getLogger("devhost")


class FunctionTimeoutError(Exception):
    """The invocation ran past host.json ``functionTimeout`` (the host's FunctionTimeoutException)."""


class Invoker:
    """Runs invocations on the pool and waits for in-flight ones at stop.

    ``thread_count`` sizes the pool; ``function_timeout`` (seconds, None = no limit) bounds each
    invocation.
    """

    def __init__(self, *, thread_count: int, function_timeout: float | None) -> None:
        self.function_timeout = function_timeout
        self.pool = SyncPool(thread_count)
        self._in_flight = 0
        self._idle = threading.Condition()

    def start(self) -> None:
        self.pool.start()
        limit = format_timespan(self.function_timeout) if self.function_timeout is not None else "none"
        log.info("sync thread pool: %d threads; functionTimeout %s", self.pool.size, limit)

    def stop(self) -> None:
        self.pool.stop()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """True when nothing is running any more; False if ``timeout`` elapsed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    def invoke(self, function: FunctionInfo, trigger_value: Any) -> Any:
        """Call ``function`` with its trigger value and return what it returned; exceptions
        propagate to the trigger's caller (:class:`FunctionTimeoutError` past ``functionTimeout``)."""
        with self._idle:
            self._in_flight += 1
        try:
            invocation_id = str(uuid.uuid4())
            kwargs = {function.trigger.name: trigger_value}  # the worker passes arguments by binding name
            try:
                value = self.pool.run(lambda: function.user_function(**kwargs), self.function_timeout)
            except PoolTimeout as exc:
                raise self._timed_out(function, invocation_id, still_running=exc.started) from None
            if value is not None and not function.has_return:  # dispatcher.py, after the call
                raise RuntimeError(f"function {function.name!r} without a $return binding returned a non-None value")
            return value
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _timed_out(self, function: FunctionInfo, invocation_id: str, *, still_running: bool) -> FunctionTimeoutError:
        """Log the timeout in the host's words and return the invocation's error."""
        limit = format_timespan(self.function_timeout or 0)
        log.error(
            "Timeout value of %s exceeded by function 'Functions.%s' (Id: '%s'). Initiating cancellation.",
            limit, function.name, invocation_id,
        )
        if still_running:
            log.warning(
                "A function timeout has occurred. Azure restarts the worker process executing invocationId '%s'; "
                "devhost cannot stop a thread, so it runs on (its result discarded) and a new thread takes its place.",
                invocation_id,
            )
        return FunctionTimeoutError(f"Timeout value of {limit} was exceeded by function: Functions.{function.name}")


def log_invocation(
    function: FunctionInfo, trigger: str, outcome: str, started: float, *, exc: BaseException | None = None
) -> None:
    """The one line per invocation: function, trigger, outcome and duration (+ traceback if failed)."""
    ms = (time.perf_counter() - started) * 1000
    if exc is None:
        log.info("%s [%s] %s (%.0f ms)", function.name, trigger, outcome, ms)
    else:
        log.error("%s [%s] %s (%.0f ms)", function.name, trigger, outcome, ms, exc_info=exc)


def exception_summary(exc: BaseException) -> str:
    return f"Failed: {type(exc).__name__}: {exc}"
