"""local.settings.json loading (environment wins, sample fallback) and host.json parsing."""

from __future__ import annotations

import json
from pathlib import Path

import azure.functions as func
import pytest

from devhost import azurite
from devhost.host import DevHost
from devhost.settings import (
    HostConfig, format_timespan, load_local_settings, parse_timespan, resolve_queue_lease, storage_connection_string,
)


def write(path: Path, values: dict[str, object]) -> Path:
    path.write_text(json.dumps({"IsEncrypted": False, "Values": values}))
    return path


def test_environment_wins_over_local_settings(tmp_path: Path) -> None:
    settings = write(tmp_path / "local.settings.json", {"A": "from-file", "B": "from-file", "FLAG": True, "N": 3})
    env = {"A": "from-env"}
    applied = load_local_settings(settings, env)
    assert env == {"A": "from-env", "B": "from-file", "FLAG": "true", "N": "3"}
    assert "A" not in applied


def test_sample_is_used_when_local_settings_missing(tmp_path: Path) -> None:
    write(tmp_path / "local.settings.sample.json", {"FROM_SAMPLE": "yes"})
    env: dict[str, str] = {}
    load_local_settings(tmp_path / "local.settings.json", env)
    assert env == {"FROM_SAMPLE": "yes"}


def test_local_settings_take_priority_over_sample(tmp_path: Path) -> None:
    write(tmp_path / "local.settings.sample.json", {"X": "sample"})
    write(tmp_path / "local.settings.json", {"X": "local"})
    env: dict[str, str] = {}
    load_local_settings(tmp_path / "local.settings.json", env)
    assert env == {"X": "local"}


def test_no_settings_files_is_fine(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    assert load_local_settings(tmp_path / "local.settings.json", env) == {}
    assert env == {}


def test_host_json_values_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "host.json"
    path.write_text(json.dumps({"extensions": {"http": {"routePrefix": ""}, "queues": {
        "batchSize": 8, "maxDequeueCount": 2, "visibilityTimeout": "00:00:05", "maxPollingInterval": "00:00:02",
    }}, "functionTimeout": "00:10:00"}))
    config = HostConfig.load(path)
    assert config.route_prefix == ""
    q = config.queues
    assert (q.batch_size, q.new_batch_threshold, q.max_dequeue_count) == (8, 4, 2)
    assert (q.visibility_timeout, q.max_polling_interval) == (5.0, 2.0)
    assert config.function_timeout == 600
    defaults = HostConfig.load(tmp_path / "missing.json")
    assert defaults.route_prefix == "api" and defaults.queues.batch_size == 16 and defaults.queues.max_dequeue_count == 5
    assert defaults.function_timeout == 30 * 60  # the host's default on Flex Consumption


def test_repo_host_json_parses() -> None:
    config = HostConfig.load(Path(__file__).resolve().parents[2] / "host.json")
    assert config.route_prefix == ""  # the portal is at the site root; API routes say api/ themselves


def test_timespans() -> None:
    assert parse_timespan("00:00:05") == 5
    assert parse_timespan("01:02:03") == 3723
    assert parse_timespan("1.00:00:00") == 86400
    assert parse_timespan("-1") == -86400  # .NET reads a bare number as days
    assert parse_timespan("-00:00:05") == -5
    assert [format_timespan(s) for s in (1, 600, 1.5, 86405)] == ["00:00:01", "00:10:00", "00:00:01.5000000", "1.00:00:05"]
    with pytest.raises(ValueError):
        parse_timespan("5 seconds")


def test_storage_connection() -> None:
    dev_storage = {"AzureWebJobsStorage": "UseDevelopmentStorage=true"}
    assert storage_connection_string(dev_storage) == azurite.connection_string(*azurite.DEFAULT_PORTS)
    explicit = "DefaultEndpointsProtocol=http;X"
    assert storage_connection_string({"AzureWebJobsStorage": explicit}) == explicit
    with pytest.raises(KeyError):
        storage_connection_string({"AzureWebJobsOther": explicit})


def test_queue_lease_argument_wins_over_environment_then_default() -> None:
    assert resolve_queue_lease(None, {}) == 600  # the host's 10 minutes
    assert resolve_queue_lease(None, {"DEVHOST_QUEUE_LEASE_SECONDS": " 3 "}) == 3
    assert resolve_queue_lease(7, {"DEVHOST_QUEUE_LEASE_SECONDS": "3"}) == 7
    for bad in ("0", "1.5", "soon", str(8 * 24 * 3600)):
        with pytest.raises(ValueError, match="DEVHOST_QUEUE_LEASE_SECONDS"):
            resolve_queue_lease(None, {"DEVHOST_QUEUE_LEASE_SECONDS": bad})
    with pytest.raises(ValueError, match="queue_lease_seconds"):
        resolve_queue_lease(0, {})


def test_devhost_takes_queue_lease_from_argument_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVHOST_QUEUE_LEASE_SECONDS", "5")
    assert DevHost(func.FunctionApp(), host_json=None).queue_lease_seconds == 5
    assert DevHost(func.FunctionApp(), host_json=None, queue_lease_seconds=2).queue_lease_seconds == 2
    monkeypatch.delenv("DEVHOST_QUEUE_LEASE_SECONDS")
    assert DevHost(func.FunctionApp(), host_json=None).queue_lease_seconds == 600
