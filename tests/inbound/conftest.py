"""Fixtures for received texts: a fake Twilio (for replies and the webhook's auth token), a
local receiver standing in for the flows, and a devhost polling queues every 0.2 s.

The session's devhost polls idle queues at most every second (host.json), so a text's two
queue hops (inbound, notify) could take up to ~2 s after a quiet spell; these tests assert
"within 2 s", so they run a second, fast-polling devhost on the same storage — two instances
competing for the same queues, as in Azure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.inbound.receiver import Receiver
from tests.support.app_env import app_settings
from tests.support.fake_twilio import FakeTwilio


@pytest.fixture(scope="package")
def fast_host(storage: str) -> Iterator[object]:
    from devhost.azurite import free_port
    from devhost.host import DevHost
    from function_app import app
    from tests.conftest import ROOT

    dev = DevHost(app, connection_string=storage, port=free_port(), host_json=ROOT / "host.json", poll_interval=0.2)
    dev.start()
    yield dev
    dev.stop()


@pytest.fixture(scope="package")
def twilio(fast_host) -> Iterator[FakeTwilio]:  # noqa: ANN001
    """The app's environment for these tests: Twilio provider pointed at a fake, callbacks to
    127.0.0.1 allowed, short notify backoff, the fast host as the public URL."""
    fake = FakeTwilio().start()
    env = {**fake.env(), "CALLBACK_ALLOW_LOCALHOST": "true", "NOTIFY_BACKOFF_SECONDS": "0.5",
           "NOTIFY_BACKOFF_MAX_SECONDS": "2", "NOTIFY_TIMEOUT_SECONDS": "3", "PUBLIC_BASE_URL": fast_host.base_url}
    with app_settings(env):
        yield fake
    fake.stop()


@pytest.fixture()
def fake(twilio: FakeTwilio) -> FakeTwilio:
    twilio.fail_rate, twilio.latency, twilio.capacity, twilio.permanent = 0.0, 0.0, None, {}
    return twilio


@pytest.fixture(scope="package")
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture()
def api(fast_host, tenant, twilio):  # noqa: ANN001, ANN201
    from tests.support.client import Api

    return Api(fast_host.base_url, tenant.key)


@pytest.fixture()
def make_api(fast_host, twilio):  # noqa: ANN001, ANN201
    from tests.support.client import Api

    return lambda key: Api(fast_host.base_url, key)
