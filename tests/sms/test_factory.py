"""get_provider: the right provider per settings, built once per process."""

from __future__ import annotations

import pytest

from shared_code.common.sms.factory import get_provider, reset_provider


@pytest.fixture(autouse=True)
def _fresh():  # noqa: ANN202
    reset_provider()
    yield
    reset_provider()


def test_outbox_is_cached(storage, make_settings):
    from shared_code.common.sms.outbox import OutboxProvider

    settings = make_settings(sms_provider="outbox")
    first = get_provider(settings)
    assert isinstance(first, OutboxProvider) and first.name == "outbox"
    assert get_provider(make_settings(sms_provider="outbox")) is first   # same values, same one
    reset_provider()
    assert get_provider(settings) is not first


def test_default_settings_come_from_environment(storage, monkeypatch):
    from shared_code.common.config import reset_settings

    monkeypatch.setenv("SMS_PROVIDER", "outbox")
    reset_settings()
    try:
        assert get_provider().name == "outbox"
    finally:
        reset_settings()


def test_twilio_needs_credentials(make_settings):
    with pytest.raises(RuntimeError, match="TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        get_provider(make_settings(twilio_account_sid="AC" + "0" * 32))


def test_twilio_provider_per_settings(fake, make_settings):
    from shared_code.common.sms.base import SmsProvider

    settings = make_settings(**fake.settings_kwargs())
    provider = get_provider(settings)
    assert provider.name == "twilio" and isinstance(provider, SmsProvider)
    assert get_provider(settings) is provider
    other = get_provider(make_settings(**{**fake.settings_kwargs(), "sms_timeout_seconds": 1.0}))
    assert other is not provider
