"""Queue triggers against a real Azurite: decoding, retries, poison queue, delays, batching.

Queue output bindings and messageEncoding "none" are refused at start (tests/devhost/test_refusals.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import azure.functions as func
import pytest
from azure.storage.queue import QueueClient

from devhost.host import DevHost
from tests.devhost.helpers import wait_for


class Recorder:
    """What the function saw, thread-safe, with timestamps and peak concurrency."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()

    def enter(self, msg: func.QueueMessage) -> int:
        with self._lock:
            self.calls.append(
                {"body": msg.get_body(), "id": msg.id, "dequeue": msg.dequeue_count, "at": time.monotonic(),
                 "pop_receipt": msg.pop_receipt, "inserted": msg.insertion_time}
            )
            self.active += 1
            self.peak = max(self.peak, self.active)
            return len(self.calls)

    def leave(self) -> None:
        with self._lock:
            self.active -= 1

    def record(self, msg: func.QueueMessage) -> None:
        """A function that only records what it saw."""
        self.enter(msg)
        self.leave()


def queue_app(queue: str, handler: Callable[[func.QueueMessage], None], **extra: Any) -> func.FunctionApp:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name=queue, connection="AzureWebJobsStorage")
    def consume(msg: func.QueueMessage) -> None:
        handler(msg)

    return app


def count(client: QueueClient) -> int:
    return client.get_queue_properties().approximate_message_count


def start(run_host: Callable[..., DevHost], app: func.FunctionApp, connection_string: str, path: Any = None) -> DevHost:
    return run_host(app, connection_string=connection_string, host_json_path=path)


def test_message_is_processed_decoded_and_deleted(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str, producer: Callable[..., QueueClient]
) -> None:
    seen = Recorder()
    client = producer(queue_name)
    sent = client.send_message('{"text": "héllo ✓"}')
    start(run_host, queue_app(queue_name, seen.record), connection_string)
    wait_for(lambda: seen.calls)
    call = seen.calls[0]
    assert call["body"] == '{"text": "héllo ✓"}'.encode("utf-8")
    assert call["id"] == sent.id and call["dequeue"] == 1 and call["pop_receipt"] and call["inserted"]
    wait_for(lambda: count(client) == 0, timeout=5)
    time.sleep(0.5)
    assert len(seen.calls) == 1


def test_trigger_queue_is_created_when_missing(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str, reader: Callable[..., QueueClient]
) -> None:
    start(run_host, queue_app(queue_name, lambda msg: None), connection_string)
    wait_for(lambda: _exists(reader(queue_name)), timeout=5)


def _exists(client: QueueClient) -> bool:
    try:
        client.get_queue_properties()
        return True
    except Exception:
        return False


def test_failing_message_goes_to_poison_after_max_dequeue_count(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str,
    producer: Callable[..., QueueClient], reader: Callable[..., QueueClient],
) -> None:
    seen = Recorder()

    def handler(msg: func.QueueMessage) -> None:
        seen.enter(msg)
        seen.leave()
        raise RuntimeError("always fails")

    client = producer(queue_name)
    client.send_message("poison me")
    start(run_host, queue_app(queue_name, handler), connection_string)  # maxDequeueCount 3
    poison = reader(f"{queue_name}-poison")
    messages = wait_for(lambda: _exists(poison) and poison.peek_messages(max_messages=5), timeout=15)
    assert [m.content for m in messages] == ["poison me"]  # original content, base64 like the original
    assert [c["dequeue"] for c in seen.calls] == [1, 2, 3]
    time.sleep(0.5)
    assert len(seen.calls) == 3
    assert count(client) == 0


def test_invalid_base64_goes_to_poison_without_running(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str,
    producer: Callable[..., QueueClient], reader: Callable[..., QueueClient],
) -> None:
    seen = Recorder()
    raw = producer(queue_name, encode=False)
    raw.send_message("this is not base64!")
    producer(queue_name).send_message("fine")  # a good one behind it still runs
    start(run_host, queue_app(queue_name, seen.record), connection_string)
    poison = reader(f"{queue_name}-poison", decode=False)
    messages = wait_for(lambda: _exists(poison) and poison.peek_messages(max_messages=5), timeout=10)
    assert [m.content for m in messages] == ["this is not base64!"]
    wait_for(lambda: seen.calls)
    assert [c["body"] for c in seen.calls] == [b"fine"]


def test_delayed_message_runs_only_when_visible(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str, producer: Callable[..., QueueClient]
) -> None:
    seen = Recorder()
    client = producer(queue_name)
    start(run_host, queue_app(queue_name, seen.record), connection_string)
    sent_at = time.monotonic()
    client.send_message("later", visibility_timeout=3)
    wait_for(lambda: seen.calls, timeout=8)
    delay = seen.calls[0]["at"] - sent_at
    assert 2.8 <= delay <= 4.8, delay


def test_failed_message_is_retried_after_visibility_timeout(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str,
    producer: Callable[..., QueueClient], host_json: Callable[..., Any],
) -> None:
    seen = Recorder()

    def handler(msg: func.QueueMessage) -> None:
        n = seen.enter(msg)
        seen.leave()
        if n == 1:
            raise RuntimeError("first attempt fails")

    client = producer(queue_name)
    client.send_message("retry me")
    start(run_host, queue_app(queue_name, handler), connection_string, host_json(visibilityTimeout="00:00:02"))
    wait_for(lambda: len(seen.calls) >= 2, timeout=10)
    first, second = seen.calls[:2]
    assert (first["dequeue"], second["dequeue"]) == (1, 2)
    assert 1.8 <= second["at"] - first["at"] <= 4.0, second["at"] - first["at"]
    wait_for(lambda: count(client) == 0, timeout=5)
    time.sleep(0.3)
    assert len(seen.calls) == 2


def test_batch_runs_concurrently_but_bounded(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str, producer: Callable[..., QueueClient]
) -> None:
    seen = Recorder()

    def handler(msg: func.QueueMessage) -> None:
        seen.enter(msg)
        time.sleep(0.4)
        seen.leave()

    client = producer(queue_name)
    for i in range(10):
        client.send_message(f"m{i}")
    start(run_host, queue_app(queue_name, handler), connection_string)  # batchSize 4
    wait_for(lambda: len(seen.calls) == 10, timeout=15)
    assert 2 <= seen.peak <= 4
    assert sorted(c["body"] for c in seen.calls) == sorted(f"m{i}".encode() for i in range(10))


def test_lease_is_renewed_while_the_function_runs(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str, producer: Callable[..., QueueClient]
) -> None:
    seen = Recorder()

    def handler(msg: func.QueueMessage) -> None:
        seen.enter(msg)
        time.sleep(5)  # 2.5 leases: without renewal the message would be received again meanwhile
        seen.leave()

    client = producer(queue_name)
    client.send_message("slow")
    run_host(queue_app(queue_name, handler), connection_string=connection_string, queue_lease_seconds=2)
    wait_for(lambda: seen.calls, timeout=5)
    time.sleep(3)
    assert client.peek_messages() == []  # still leased (peek shows only visible messages)
    wait_for(lambda: seen.active == 0 and count(client) == 0, timeout=5)  # deleted with the renewed receipt
    assert len(seen.calls) == 1


def test_lost_lease_is_logged_and_the_listener_carries_on(
    run_host: Callable[..., DevHost], connection_string: str, queue_name: str,
    producer: Callable[..., QueueClient], caplog: pytest.LogCaptureFixture,
) -> None:
    seen = Recorder()
    client = producer(queue_name)

    def handler(msg: func.QueueMessage) -> None:
        n = seen.enter(msg)
        if n == 1:  # someone else takes the message over: its pop receipt changes under the host
            client.update_message(msg.id, pop_receipt=msg.pop_receipt, visibility_timeout=60)
            time.sleep(1.5)  # past the first renewal (every 1 s)
        seen.leave()

    client.send_message("taken over")
    run_host(queue_app(queue_name, handler), connection_string=connection_string, queue_lease_seconds=2)
    wait_for(lambda: seen.calls, timeout=5)
    client.send_message("next")
    wait_for(lambda: len(seen.calls) == 2 and seen.active == 0, timeout=8)
    assert seen.calls[1]["body"] == b"next"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("lost the lease" in w and "PopReceiptMismatch" in w for w in warnings), warnings
    wait_for(lambda: any("not deleted, lease lost" in r.getMessage() for r in caplog.records), timeout=3)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
