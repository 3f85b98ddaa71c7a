"""DevHost: runs ``function_app.app`` locally with the Functions host's semantics.

Azure Functions Core Tools can't be installed here, so this stands in for ``func start`` in
development (``make run``) and end-to-end tests: HTTP triggers on a real HTTP server, timer
triggers on their schedules, queue triggers against Azurite. The app itself knows nothing of it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import azure.functions as func

from devhost.auth import EasyAuth, enable_for_worker
from devhost.functions import FunctionInfo, index
from devhost.http import HttpFrontend
from devhost.invocation import Invoker
from devhost.queues import QueueClients, QueueListener
from devhost.settings import HostConfig, resolve_queue_lease, storage_connection_string, sync_thread_count
from devhost.timers import ListenerLock, Schedule, TimerRunner, utcnow
from devhost.validation import http_methods

log = logging.getLogger("devhost")


class DevHost:
    """A local Functions host for one app. ``start()`` returns at once; ``stop()`` is graceful.

    ``connection_string`` overrides the AzureWebJobsStorage setting (tests pass their own
    Azurite); otherwise that setting is the storage account, as in Azure.
    ``port=0`` picks a free port (see :attr:`base_url`). ``poll_interval`` caps the idle queue
    polling interval (default: host.json maxPollingInterval; tests/inbound lower it). ``queue_lease_seconds``
    is how long a received queue message stays invisible; it is renewed every half lease while the
    function waits and runs (default: ``DEVHOST_QUEUE_LEASE_SECONDS``, else 600 s like the host).

    ``easy_auth`` (default on) emulates App Service built-in authentication (devhost/auth.py):
    ``/.auth/*``, the identity headers, and ``WEBSITE_AUTH_ENABLED`` in the environment.

    Construction validates the app as Azure's worker and host do and raises
    :class:`devhost.validation.AppRefused` for one Azure would not run, or that uses what
    devhost does not model. Invocations share one pool of ``PYTHON_THREADPOOL_THREAD_COUNT``
    threads; host.json ``functionTimeout`` bounds each invocation.
    """

    def __init__(
        self,
        app: func.FunctionApp,
        *,
        connection_string: str | None = None,
        host: str = "127.0.0.1",
        port: int = 7071,
        host_json: Path | None = Path("host.json"),
        poll_interval: float | None = None,
        stop_timeout: float = 30.0,
        queue_lease_seconds: int | None = None,
        easy_auth: bool = True,
    ) -> None:
        self.config = HostConfig.load(host_json)
        self.functions: list[FunctionInfo] = index(app)
        self.host = host
        self.port = port
        self.stop_timeout = stop_timeout
        self._connection_override = connection_string
        max_poll = self.config.queues.max_polling_interval
        self._poll_interval = max_poll if poll_interval is None else poll_interval
        self.queue_lease_seconds = resolve_queue_lease(queue_lease_seconds)
        self._clients = QueueClients()
        self.invoker = Invoker(thread_count=sync_thread_count(), function_timeout=self.config.function_timeout)
        self.auth = EasyAuth() if easy_auth else None
        if self.auth is not None:
            enable_for_worker()  # as App Service does for an app with authentication on
        self._http = HttpFrontend(
            self.functions, self.invoker, route_prefix=self.config.route_prefix, admin=self._run_admin,
            auth=self.auth,
        )
        self._listeners: list[QueueListener] = []
        self._timers: list[TimerRunner] = []
        self._state = "new"
        self._lock = threading.Lock()
        self._stop_requested = threading.Event()

    # -- addresses ----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://host:port`` (no route prefix); the real port once started with ``port=0``."""
        return f"http://{self.host}:{self.port}"

    def url(self, route: str = "") -> str:
        """Full URL of an HTTP route, route prefix included."""
        parts = [p for p in (self.config.route_prefix, route.strip("/")) if p]
        return "/".join([self.base_url, *parts])

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> "DevHost":
        with self._lock:
            if self._state != "new":
                raise RuntimeError(f"DevHost already {self._state}")
            self._state = "running"
        self.invoker.start()
        self.port = self._http.start(self.host, self.port)
        for function in self.functions:
            if function.kind == "queue":
                self._start_queue(function)
            elif function.kind == "timer":
                self._start_timer(function)
        return self

    def stop(self, timeout: float | None = None) -> bool:
        """Stop accepting and polling, then wait for in-flight invocations (True if all finished)."""
        with self._lock:
            if self._state != "running":  # never started, or another caller is stopping it
                if self._state == "new":
                    self._state = "stopped"
                return True
            self._state = "stopping"
        deadline = time.monotonic() + (self.stop_timeout if timeout is None else timeout)
        self._http.shutdown()
        for worker in [*self._listeners, *self._timers]:
            worker.request_stop()
        finished = self.invoker.wait_idle(max(0.0, deadline - time.monotonic()))
        if not finished:
            log.warning("stopping with %d invocation(s) still running", self.invoker.in_flight)
        for worker in [*self._listeners, *self._timers]:
            worker.join(max(0.1, deadline - time.monotonic()))
        self.invoker.stop()
        self._clients.close()
        with self._lock:
            self._state = "stopped"
        self._stop_requested.set()
        return finished

    def serve_forever(self) -> None:
        """Run until SIGINT/SIGTERM, then stop cleanly (what ``python -m devhost`` does)."""
        previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, self._on_signal)
        try:
            if self._state == "new":
                self.start()
            while not self._stop_requested.wait(0.5):
                pass
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("%s received: shutting down", signal.Signals(signum).name)
        self._stop_requested.set()

    # -- description ---------------------------------------------------------------------------------
    def describe(self) -> list[str]:
        """One line per function with its trigger, for the startup banner."""
        lines = []
        for f in self.functions:
            t = f.trigger
            if f.kind == "http":
                methods = ",".join(sorted(http_methods(t) or ["*"]))
                lines.append(f"{f.name}: [{methods}] {self.url(t.route or f.name)}")
            else:
                lines.append(f"{f.name}: {f.kind} {t.schedule if f.kind == 'timer' else t.queue_name}")
        return lines

    # -- triggers ------------------------------------------------------------------------------------
    def _start_queue(self, function: FunctionInfo) -> None:
        try:
            connection = self._connection_override or storage_connection_string()
        except KeyError as exc:
            log.error("%s: queue trigger not started: %s", function.name, exc.args[0])
            return
        listener = QueueListener(
            function, self.invoker, self._clients,
            connection_string=connection, queue_name=function.trigger.queue_name, options=self.config.queues,
            max_poll_interval=self._poll_interval, lease_seconds=self.queue_lease_seconds,
        )
        self._listeners.append(listener)
        listener.start()

    def _start_timer(self, function: FunctionInfo) -> None:
        try:
            lock: ListenerLock | None = ListenerLock(self._connection_override or storage_connection_string(),
                                                     function.name)
        except KeyError as exc:
            log.warning("%s: timer runs without its singleton lock: %s", function.name, exc.args[0])
            lock = None
        runner = TimerRunner(function, self.invoker, Schedule(function.trigger.schedule), lock)  # checked at start
        self._timers.append(runner)
        runner.start()

    def _run_admin(self, function: FunctionInfo) -> None:
        """POST /admin/functions/{name}: run a timer function now (Core Tools has the same)."""
        for timer in self._timers:
            if timer.function is function:
                timer.fire(utcnow(), past_due=False)  # same no-overlap rule as scheduled ticks
