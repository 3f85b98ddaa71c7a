"""Calling a user function the way the Python worker does, and counting what is in flight.

Sync functions run on the caller's thread (an HTTP request thread, a queue or timer worker).
``async def`` functions all run on ONE long-lived event loop, like the worker's, so clients an
app caches across invocations (aiohttp sessions, aio SDK clients) stay on the loop they were
created on.
"""

from __future__ import annotations

import asyncio
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

    def __init__(self, function: FunctionInfo) -> None:
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function.name
        self._tls = threading.local()
        self._tls.invocation_id = self._invocation_id
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


class Invoker:
    """Runs invocations, delivers queue outputs on success and waits for in-flight ones at stop."""

    def __init__(self, send_outputs: OutputSender | None = None) -> None:
        self._send_outputs = send_outputs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._in_flight = 0
        self._idle = threading.Condition()

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._loop_thread = threading.Thread(target=loop.run_forever, name="devhost-async", daemon=True)
        self._loop_thread.start()

    def stop(self) -> None:
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
        """Call ``function`` with its trigger value; exceptions propagate to the trigger's caller."""
        with self._tracked():
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
                kwargs["context"] = Context(function)
            value = self._call(function, kwargs)
            outcome = Outcome(value, outputs)
            self._deliver(function, outcome)
            return outcome

    def _call(self, function: FunctionInfo, kwargs: dict[str, Any]) -> Any:
        if not function.is_async:
            return function.user_function(**kwargs)
        if self._loop is None:
            raise RuntimeError("devhost invoker is not started")
        future = asyncio.run_coroutine_threadsafe(function.user_function(**kwargs), self._loop)
        return future.result()

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
