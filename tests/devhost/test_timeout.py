"""host.json functionTimeout is enforced: the invocation fails and is logged as a timeout in the
host's words, HTTP answers a bare 500, a queue message comes back to be retried, and the pool
keeps its size for the invocations after it (as a restarted worker has)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import azure.functions as func
import pytest
import requests
from azure.storage.queue import QueueClient

from devhost.host import DevHost
from tests.devhost.helpers import wait_for


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def test_http_call_past_the_timeout_is_a_500_and_the_pool_carries_on(
    run_host: Callable[..., DevHost], host_json: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PYTHON_THREADPOOL_THREAD_COUNT", "1")
    release = threading.Event()
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="stuck")
    def stuck(req: func.HttpRequest) -> str:
        release.wait(20)
        return "too late"

    @app.route(route="fine")
    def fine(req: func.HttpRequest) -> str:
        return "fine"

    dev = run_host(app, host_json_path=host_json(function_timeout="00:00:01"))
    try:
        with caplog.at_level(logging.INFO, logger="devhost"):
            started = time.monotonic()
            response = requests.get(dev.url("stuck"), timeout=10)
            took = time.monotonic() - started
            assert (response.status_code, response.content) == (500, b"")
            assert 0.9 <= took < 3, took
            # The only thread is still stuck in `stuck`, yet the next call runs at once.
            assert requests.get(dev.url("fine"), timeout=5).text == "fine"
        lines = messages(caplog)
        assert any(line.startswith("Timeout value of 00:00:01 exceeded by function 'Functions.stuck' (Id: '")
                   and line.endswith("'). Initiating cancellation.") for line in lines), lines
        assert any("stuck [http GET /api/stuck] 500 Failed: FunctionTimeoutError: Timeout value of 00:00:01 was "
                   "exceeded by function: Functions.stuck" in line for line in lines), lines
    finally:
        release.set()


def test_queue_message_past_the_timeout_comes_back_and_is_retried(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str,
    producer: Callable[..., QueueClient], host_json: Callable[..., Path], caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[int] = []
    release = threading.Event()
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name=queue_name, connection="AzureWebJobsStorage")
    def slow_once(msg: func.QueueMessage) -> None:
        attempts.append(msg.dequeue_count)
        if msg.dequeue_count == 1:
            release.wait(20)

    client = producer(queue_name)
    client.send_message("hurry")
    path = host_json(function_timeout="00:00:01", visibilityTimeout="00:00:01")
    try:
        with caplog.at_level(logging.INFO, logger="devhost"):
            run_host(app, connection_string=connection_string, host_json_path=path)
            wait_for(lambda: attempts == [1, 2], timeout=15)
            wait_for(lambda: client.get_queue_properties().approximate_message_count == 0, timeout=5)
        lines = messages(caplog)
        assert any("Timeout value of 00:00:01 exceeded by function 'Functions.slow_once'" in line for line in lines)
        assert any("dequeue=1] Failed: FunctionTimeoutError" in line and "retry in 1s" in line for line in lines), lines
        assert any("dequeue=2] Succeeded" in line for line in lines), lines
    finally:
        release.set()


def test_timeout_comes_from_host_json(host_json: Callable[..., Path]) -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="x")
    def x(req: func.HttpRequest) -> str:
        return ""

    assert DevHost(app, port=0, host_json=host_json()).invoker.function_timeout == 30 * 60  # Flex default
    assert DevHost(app, port=0, host_json=host_json(function_timeout="00:10:00")).invoker.function_timeout == 600
    assert DevHost(app, port=0, host_json=host_json(function_timeout="-1")).invoker.function_timeout is None
    with pytest.raises(ValueError, match="FunctionTimeout must be greater than 00:00:01"):
        DevHost(app, port=0, host_json=host_json(function_timeout="00:00:00.500"))
