"""Pick and cache the process's SMS provider from settings.

Cached because a provider owns pooled connections (Twilio) or table clients (outbox) that
should be reused across invocations; keyed by the settings values so tests that change the
environment get a fresh provider without remembering to reset.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .base import SmsProvider

if TYPE_CHECKING:
    from ..config import Settings

_lock = threading.Lock()
_cache: dict[tuple, SmsProvider] = {}


def _key(settings: "Settings") -> tuple:
    return (settings.sms_provider, settings.storage_connection, settings.storage_account_name,
            settings.storage_client_id, settings.table_prefix, settings.twilio_account_sid,
            settings.twilio_auth_token, settings.twilio_messaging_service_sid,
            settings.twilio_api_base_url, settings.sms_timeout_seconds)


def _build(settings: "Settings") -> SmsProvider:
    if settings.sms_provider == "outbox":
        from ..storage.tables import TableStore
        from .outbox import OutboxProvider

        return OutboxProvider(TableStore(settings))
    if settings.sms_provider == "twilio":
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise RuntimeError("SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
                               "(or set SMS_PROVIDER=outbox to send nothing)")
        from .twilio_provider import TwilioProvider

        return TwilioProvider(settings)
    raise RuntimeError(f"unknown SMS_PROVIDER {settings.sms_provider!r}: use 'outbox' or 'twilio'")


def get_provider(settings: "Settings | None" = None) -> SmsProvider:
    """The provider for these settings (default: the process settings), built once."""
    if settings is None:
        from ..config import get_settings

        settings = get_settings()
    key = _key(settings)
    provider = _cache.get(key)
    if provider is None:
        with _lock:
            provider = _cache.get(key)
            if provider is None:
                provider = _cache[key] = _build(settings)
    return provider


def reset_provider() -> None:
    """Forget every cached provider (tests)."""
    with _lock:
        _cache.clear()
