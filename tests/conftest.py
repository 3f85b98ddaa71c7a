"""Shared fixtures: one private Azurite per test session (free ports, temporary folder),
the function app served by devhost in-process, and tenants with API keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
for var in ("TWILIO_EDGE", "TWILIO_REGION"):
    os.environ.pop(var, None)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from devhost import azurite as az

    instance = az.start(tmp_path_factory.mktemp("azurite"))
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def storage(azurite) -> Iterator[str]:  # noqa: ANN001
    """Point the app's settings at the session's Azurite."""
    from shared_code.common import context

    os.environ["AzureWebJobsStorage"] = azurite.connection_string
    os.environ["SMS_PROVIDER"] = "outbox"
    context.reset()
    yield azurite.connection_string
    context.reset()


@pytest.fixture(scope="session")
def host(storage: str) -> Iterator[object]:
    """The real function_app served over HTTP by devhost, in this process."""
    from devhost.azurite import free_port
    from devhost.host import DevHost
    from function_app import app

    dev = DevHost(app, connection_string=storage, port=free_port(), host_json=ROOT / "host.json")
    dev.start()
    yield dev
    dev.stop()


@pytest.fixture()
def tenant(storage: str):  # noqa: ANN201
    from tests.support.tenants import new_tenant

    return new_tenant()


@pytest.fixture()
def api(host, tenant):  # noqa: ANN001, ANN201
    from tests.support.client import Api

    return Api(host.base_url, tenant.key)


@pytest.fixture()
def make_api(host):  # noqa: ANN001, ANN201
    """Build a client for any key (or none)."""
    from tests.support.client import Api

    return lambda key: Api(host.base_url, key)


@pytest.fixture()
def clock():  # noqa: ANN201
    """Control time: the services' one clock, reset afterwards."""
    from datetime import datetime, timezone

    from shared_code.common.clock import FixedClock, set_clock

    fixed = FixedClock(datetime.now(timezone.utc))
    set_clock(fixed)
    yield fixed
    set_clock(None)
