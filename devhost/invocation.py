"""Calling a user function the way the Python worker does, and counting what is in flight.

Sync functions, whatever their trigger, run on ONE pool of ``PYTHON_THREADPOOL_THREAD_COUNT``
threads (default min(32, cores + 4)), like the worker's ``_sync_call_tp``; the HTTP server's
request threads, queue listeners and timers only wait for them. ``async def`` functions all run on
ONE long-lived event loop, like the worker's, so clients an app caches across invocations
(aiohttp sessions, aio SDK clients) stay on the loop they were created on. host.json
``functionTimeout`` bounds every invocation, waiting for a thread included (see devhost.pool).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import azure.functions as func

from devhost.functions import FunctionInfo
from devhost.pool import PoolTimeout, SyncPool
from devhost.settings import format_timespan

log = logging.getLogger("devhost")

# Sends queue output binding values: (function, binding, values) -> None
OutputSender = Callable[[FunctionInfo, Any, list[Any]], None]


class Out(func.Out):  # type: ignore[type-arg]
    """The ``func.Out[T]`` handed to a function for each output binding."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


@dataclass(frozen=True)
class _TraceContext:
    trace_parent: str
    trace_state: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class _RetryContext:
    retry_count: int = 0
    max_retry_count: int = 0
    exception: Any = None


class Context(func.Context):
    """``context`` parameter: invocation id and function name, like the worker provides."""

    def __init__(self, function: FunctionInfo, invocation_id: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function.name
        self._tls = threading.local()  # the worker sets invocation_id on the pool thread running the call
        self._trace = _TraceContext(f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00", "", {})

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> Any:
        return self._tls

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return "."

    @property
    def trace_context(self) -> Any:
        return self._trace

    @property
    def retry_context(self) -> Any:
        return _RetryContext()


@dataclass(frozen=True)
class Outcome:
    """What a successful invocation produced: the return value and the Out parameters."""

    value: Any
    outputs: dict[str, Out]

    def http_response(self, function: FunctionInfo) -> Any:
        if function.http_output in (None, "$return"):
            return self.value
        return self.outputs[function.http_output].get()


class FunctionTimeoutError(Exception):
    """The invocation ran past host.json ``functionTimeout`` (the host's FunctionTimeoutException)."""


class Invoker:
    """Runs invocations, delivers queue outputs on success and waits for in-flight ones at stop.

    ``thread_count`` sizes the one pool for sync functions; ``function_timeout`` (seconds, None =
    no limit) bounds each invocation.
    """

    def __init__(
        self,
        send_outputs: OutputSender | None = None,
        *,
        thread_count: int,
        function_timeout: float | None,
    ) -> None:
        self._send_outputs = send_outputs
        self.function_timeout = function_timeout
        self.pool = SyncPool(thread_count)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._in_flight = 0
        self._idle = threading.Condition()

    def start(self) -> None:
        self.pool.start()
        limit = format_timespan(self.function_timeout) if self.function_timeout is not None else "none"
        log.info("sync thread pool: %d threads; functionTimeout %s", self.pool.size, limit)
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._loop_thread = threading.Thread(target=loop.run_forever, name="devhost-async", daemon=True)
        self._loop_thread.start()

    def stop(self) -> None:
        self.pool.stop()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._loop_thread is not None:
                self._loop_thread.join(timeout=5)
            self._loop = None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """True when nothing is running any more; False if ``timeout`` elapsed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    @contextmanager
    def _tracked(self) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def invoke(self, function: FunctionInfo, trigger_value: Any) -> Outcome:
        """Call ``function`` with its trigger value; exceptions propagate to the trigger's caller
        (:class:`FunctionTimeoutError` past ``functionTimeout``)."""
        with self._tracked():
            invocation_id = str(uuid.uuid4())
            kwargs: dict[str, Any] = {function.trigger_param: trigger_value}
            outputs: dict[str, Out] = {}
            if function.http_output not in (None, "$return"):
                outputs[function.http_output] = Out()
            for binding in function.outputs:
                if binding.name != "$return":
                    outputs[binding.name] = Out()
            kwargs.update(outputs)
            for name in function.unsupported_inputs:
                kwargs[name] = None
            if function.accepts_context:
                kwargs["context"] = Context(function, invocation_id)
            value = self._call(function, kwargs, invocation_id)
            if value is not None and not function.has_return:  # dispatcher.py, after the call
                raise RuntimeError(f"function {function.name!r} without a $return binding returned a non-None value")
            outcome = Outcome(value, outputs)
            self._deliver(function, outcome)
            return outcome

    def _call(self, function: FunctionInfo, kwargs: dict[str, Any], invocation_id: str) -> Any:
        timeout = self.function_timeout
        if not function.is_async:
            context = kwargs.get("context") if function.accepts_context else None

            def run() -> Any:  # dispatcher.py _run_sync_func
                if isinstance(context, Context):
                    context.thread_local_storage.invocation_id = invocation_id
                try:
                    return function.user_function(**kwargs)
                finally:
                    if isinstance(context, Context):
                        context.thread_local_storage.invocation_id = None

            try:
                return self.pool.run(run, timeout)
            except PoolTimeout as exc:
                raise self._timed_out(function, invocation_id, still_running=exc.started) from None
        if self._loop is None:
            raise RuntimeError("devhost invoker is not started")
        future = asyncio.run_coroutine_threadsafe(function.user_function(**kwargs), self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()  # the coroutine gets CancelledError at its next await
            raise self._timed_out(function, invocation_id, still_running=False) from None

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

    def _deliver(self, function: FunctionInfo, outcome: Outcome) -> None:
        for binding in function.outputs:
            if binding.type != "queue":
                continue
            value = outcome.value if binding.name == "$return" else outcome.outputs[binding.name].get()
            if value is None:
                continue
            items = list(value) if isinstance(value, (list, tuple)) else [value]
            if self._send_outputs is None:
                raise RuntimeError(f"{function.name}: no storage for queue output {binding.name!r}")
            self._send_outputs(function, binding, items)


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
