"""Fixtures for devhost's own tests: a private Azurite, short host.json files, hosts on free ports."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from devhost import azurite as az
from devhost.host import DevHost


@pytest.fixture(scope="session")
def devhost_azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[az.Azurite]:
    """Our own Azurite (free ports, temp folder) so these tests don't depend on other fixtures."""
    instance = az.start(tmp_path_factory.mktemp("devhost-azurite"))
    yield instance
    instance.stop()


@pytest.fixture()
def connection_string(devhost_azurite: az.Azurite) -> str:
    return devhost_azurite.connection_string


@pytest.fixture()
def host_json(tmp_path: Path) -> Callable[..., Path]:
    """Write a host.json with quick queue settings; keyword arguments override extensions.queues
    (``function_timeout`` sets the top-level functionTimeout)."""

    def write(route_prefix: str = "api", function_timeout: str | None = None, **queues: Any) -> Path:
        settings = {
            "batchSize": 4, "newBatchThreshold": 2, "maxDequeueCount": 3,
            "visibilityTimeout": "00:00:00", "maxPollingInterval": "00:00:01", "messageEncoding": "base64",
        }
        settings.update(queues)
        data: dict[str, Any] = {"version": "2.0", "extensions": {"http": {"routePrefix": route_prefix}, "queues": settings}}
        if function_timeout is not None:
            data["functionTimeout"] = function_timeout
        path = tmp_path / f"host-{uuid.uuid4().hex[:6]}.json"
        path.write_text(json.dumps(data))
        return path

    return write


@pytest.fixture()
def run_host(host_json: Callable[..., Path]) -> Iterator[Callable[..., DevHost]]:
    """Start a DevHost on a free port for an app; every host started is stopped at teardown."""
    started: list[DevHost] = []

    def start(app: func.FunctionApp, *, host_json_path: Path | None = None, **kwargs: Any) -> DevHost:
        dev = DevHost(app, port=0, host_json=host_json_path or host_json(), **kwargs)
        dev.start()
        started.append(dev)
        return dev

    yield start
    for dev in started:
        dev.stop(timeout=10)


@pytest.fixture()
def queue_name() -> str:
    return f"dh{uuid.uuid4().hex[:16]}"


@pytest.fixture()
def producer(connection_string: str) -> Iterator[Callable[..., QueueClient]]:
    """A client that writes base64 text, as the host's default messageEncoding expects."""
    clients: list[QueueClient] = []

    def make(name: str, *, encode: bool = True) -> QueueClient:
        policy = {"message_encode_policy": TextBase64EncodePolicy()} if encode else {}
        client = QueueClient.from_connection_string(connection_string, name, **policy)
        clients.append(client)
        try:
            client.create_queue()
        except ResourceExistsError:
            pass
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture()
def reader(connection_string: str) -> Iterator[Callable[..., QueueClient]]:
    """A client that reads base64 text back (e.g. from a -poison queue)."""
    clients: list[QueueClient] = []

    def make(name: str, *, decode: bool = True) -> QueueClient:
        policy = {"message_decode_policy": TextBase64DecodePolicy()} if decode else {}
        client = QueueClient.from_connection_string(connection_string, name, **policy)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()

