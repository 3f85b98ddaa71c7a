"""One worker thread pool for every invocation (HTTP, queue, timer), sized like the worker's;
queue leases kept while a message waits for a thread."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import azure.functions as func
import pytest
import requests
from azure.storage.queue import QueueClient

from devhost.host import DevHost
from devhost.settings import sync_thread_count
from tests.devhost.helpers import wait_for


class Gauge:
    """How many invocations run at once, across every function that uses it."""

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.done: list[tuple[str, float, float]] = []  # (what, started, finished)
        self._lock = threading.Lock()

    def hold(self, what: str, seconds: float) -> None:
        started = time.monotonic()
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(seconds)
        with self._lock:
            self.active -= 1
            self.done.append((what, started, time.monotonic()))

    def count(self, prefix: str) -> int:
        return sum(1 for what, _, _ in self.done if what.startswith(prefix))


def busy_app(
    queue_name: str, gauge: Gauge, seconds: float, *, http_seconds: float | None = None, timer: bool = True
) -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="work", methods=["GET"])
    def work(req: func.HttpRequest) -> str:
        gauge.hold("http", seconds if http_seconds is None else http_seconds)
        return "done"

    @app.queue_trigger(arg_name="msg", queue_name=queue_name, connection="AzureWebJobsStorage")
    def consume(msg: func.QueueMessage) -> None:
        gauge.hold(f"queue {msg.get_body().decode()} {msg.dequeue_count}", seconds)

    if timer:
        @app.timer_trigger(schedule="* * * * * *", arg_name="timer", use_monitor=False)
        def tick(timer: func.TimerRequest) -> None:
            gauge.hold("timer", seconds)

    return app


def test_http_queue_and_timer_share_one_pool_of_the_configured_size(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str,
    producer: Callable[..., QueueClient], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_THREADPOOL_THREAD_COUNT", "2")
    gauge = Gauge()
    client = producer(queue_name)
    for i in range(4):
        client.send_message(f"m{i}")
    dev = run_host(busy_app(queue_name, gauge, 0.4), connection_string=connection_string)  # batchSize 4
    assert dev.invoker.pool.size == 2
    answers: list[str] = []
    callers = [threading.Thread(target=lambda: answers.append(requests.get(dev.url("work"), timeout=30).text))
               for _ in range(4)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(30)
    wait_for(lambda: gauge.count("queue") == 4 and gauge.count("timer") >= 1, timeout=20)
    assert answers == ["done"] * 4
    assert gauge.peak == 2  # 4 requests + 4 messages + ticks, never more than the pool's 2 threads


def test_default_size_is_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    cores = os.cpu_count() or 1
    assert sync_thread_count({}) == min(32, cores + 4)
    assert sync_thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": "3"}) == 3
    for invalid in ("0", "-2", "many"):  # the worker warns and uses its default
        assert sync_thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": invalid}) == min(32, cores + 4)


def test_a_message_waiting_for_a_thread_keeps_its_lease(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str,
    producer: Callable[..., QueueClient], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The host receives messages whatever the worker's threads and renews their leases while they
    wait: a message queued behind a long call is not received a second time."""
    monkeypatch.setenv("PYTHON_THREADPOOL_THREAD_COUNT", "1")
    gauge = Gauge()
    client = producer(queue_name)
    app = busy_app(queue_name, gauge, 0.0, http_seconds=5.0, timer=False)
    dev = run_host(app, connection_string=connection_string, queue_lease_seconds=2)
    holder = threading.Thread(target=lambda: requests.get(dev.url("work"), timeout=30))
    holder.start()
    wait_for(lambda: gauge.active == 1, timeout=5)
    sent_at = time.monotonic()
    client.send_message("waits")
    wait_for(lambda: gauge.count("queue") == 1, timeout=20)
    holder.join(10)
    (what, started, _), = [d for d in gauge.done if d[0].startswith("queue")]
    http_finished = next(finished for w, _, finished in gauge.done if w == "http")
    assert started >= http_finished - 0.05  # it waited for the only thread...
    assert started - sent_at > 3.5  # ...for well over one lease
    assert what == "queue waits 1"  # received once: its lease was renewed while it waited
    wait_for(lambda: client.get_queue_properties().approximate_message_count == 0, timeout=5)
    time.sleep(0.5)
    assert gauge.count("queue") == 1


def test_one_queue_runs_at_most_batch_size_plus_new_batch_threshold(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str,
    producer: Callable[..., QueueClient], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The host asks for a whole batch each time in-flight falls to newBatchThreshold, so one queue
    has up to batchSize + newBatchThreshold messages in flight (4 + 2 here), not batchSize."""
    monkeypatch.setenv("PYTHON_THREADPOOL_THREAD_COUNT", "12")
    gauge = Gauge()
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.queue_trigger(arg_name="msg", queue_name=queue_name, connection="AzureWebJobsStorage")
    def consume(msg: func.QueueMessage) -> None:
        gauge.hold("queue", float(msg.get_body().decode()))  # the body says how long it takes

    client = producer(queue_name)
    for seconds in ("0.2", "0.2", "4", "4", "4", "4", "4", "4"):
        client.send_message(seconds)
    run_host(app, connection_string=connection_string)
    wait_for(lambda: gauge.count("queue") == 8, timeout=30)
    # The first batch of 4 (two quick ones) falls to 2 in flight, then 4 more arrive together.
    assert gauge.peak == 6
