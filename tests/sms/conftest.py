"""Fixtures for the SMS provider tests: a fresh FakeTwilio per test and providers wired to it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.fake_twilio import FakeTwilio

# The fake and Prism listen on 127.0.0.1: a configured HTTP(S)_PROXY must not intercept them.
for _var in ("NO_PROXY", "no_proxy"):
    _hosts = [h.strip() for h in os.environ.get(_var, "").split(",") if h.strip()]
    os.environ[_var] = ",".join(_hosts + [h for h in ("127.0.0.1", "localhost") if h not in _hosts])
for _var in ("TWILIO_EDGE", "TWILIO_REGION"):   # they would rewrite 127.0.0.1 into a Twilio host
    os.environ.pop(_var, None)


@pytest.fixture()
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(stall_seconds=1.5) as server:
        yield server


@pytest.fixture()
def make_settings() -> Callable[..., Any]:
    """Settings built from explicit values (the environment can't leak in for these fields)."""
    from shared_code.common.config import Settings

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"sms_provider": "twilio", "twilio_account_sid": None,
                                  "twilio_auth_token": None, "twilio_messaging_service_sid": None,
                                  "twilio_api_base_url": None, "sms_timeout_seconds": 5.0}
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture()
def make_provider(fake: FakeTwilio, make_settings: Callable[..., Any]) -> Callable[..., Any]:
    from shared_code.common.sms.twilio_provider import TwilioProvider

    def build(**overrides: Any) -> TwilioProvider:
        return TwilioProvider(make_settings(**{**fake.settings_kwargs(), **overrides}))

    return build


@pytest.fixture()
def provider(make_provider: Callable[..., Any]) -> Any:
    return make_provider()

