"""Twilio provider: Programmable Messaging through the official twilio-python client.

``twilio`` and ``requests`` are imported inside methods, never at module import, because the
Functions cold start indexes every module and those SDKs cost hundreds of milliseconds.
One client (one pooled HTTP session) per provider instance is shared by all worker threads.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..text.phones import mask
from .base import OutboundMessage, ProviderError, SendResult

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger("powertextor.sms")

POOL_SIZE = 64               # = SEND_CONCURRENCY max; beyond it urllib3 opens throwaway sockets
FIND_PAGE_SIZE = 50
FIND_LIMIT = 200             # recovery looks at most this many recent messages per query
CLOCK_SKEW = timedelta(seconds=5)   # our clock vs Twilio's (their date_created is whole seconds)
TRIAL_PREFIX = "Sent from your Twilio trial account - "
_PHONE = re.compile(r"\+?\d{8,15}")


def _scrub(text: str, secret: str | None) -> str:
    """Make a provider message safe to store and log: no token, no full phone numbers."""
    if secret:
        text = text.replace(secret, "***")
    return _PHONE.sub(lambda m: mask(m.group(0)), text)


def _twilio_code(code: Any, status: int | None) -> int | None:
    """twilio-python fills ``code`` with the HTTP status when the body had none: drop that."""
    try:
        value = int(code)
    except (TypeError, ValueError):
        return None
    return None if value == status or value < 1000 else value


def to_provider_error(err: BaseException, secret: str | None = None) -> ProviderError | None:
    """Translate a twilio/requests exception into ProviderError; None for anything else (bugs)."""
    import requests
    from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException

    if isinstance(err, (TwilioRestException, TwilioServiceException)):
        status = int(err.status) if err.status else None
        code = _twilio_code(err.code, status)
        text = getattr(err, "msg", None) or getattr(err, "detail", None) or getattr(err, "title", "")
        transient = status is None or status in (408, 429) or code == 20429 or status >= 500
        label = f"Twilio HTTP {status}" + (f" error {code}" if code else "")
        return ProviderError(_scrub(f"{label}: {text}", secret), transient=transient, code=code,
                             status=status, uncertain=status is None or status >= 500)
    if isinstance(err, requests.exceptions.ConnectTimeout):
        return ProviderError("Twilio connect timeout", transient=True)
    if isinstance(err, requests.exceptions.Timeout):
        # The request went out: Twilio may have created the message before we stopped waiting.
        return ProviderError("Twilio timeout waiting for the response", transient=True, uncertain=True)
    if isinstance(err, requests.exceptions.ConnectionError):
        from urllib3.exceptions import NewConnectionError

        reason = getattr(err.args[0], "reason", None) if err.args else None
        never_sent = isinstance(reason, NewConnectionError)
        return ProviderError(f"Twilio connection error ({type(reason or err).__name__})",
                             transient=True, uncertain=not never_sent)
    if isinstance(err, (requests.exceptions.RequestException, TwilioException)):
        return ProviderError(_scrub(f"Twilio request failed: {type(err).__name__}: {err}", secret),
                             transient=True, uncertain=True)
    return None


def _as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def _body_matches(sent: str | None, body: str) -> bool:
    return sent == body or sent == TRIAL_PREFIX + body


def _segments(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class TwilioProvider:
    """Sends through Twilio; ``settings.twilio_api_base_url`` redirects it to a fake or Prism."""

    name = "twilio"

    def __init__(self, settings: "Settings") -> None:
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise RuntimeError("SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        from requests.adapters import HTTPAdapter
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        http_log = logging.getLogger("powertextor.sms.twilio_http")
        http_log.setLevel(logging.WARNING)  # twilio logs query strings (phone numbers) at INFO
        http = TwilioHttpClient(timeout=settings.sms_timeout_seconds, logger=http_log)
        if http.session is not None:   # one pool per scheme, sized for the worker threads
            http.session.trust_env = False  # no ~/.netrc or proxy lookups on every text (storage.connection)
            for scheme in ("https://", "http://"):
                http.session.mount(scheme, HTTPAdapter(pool_maxsize=POOL_SIZE))
        base_url = (settings.twilio_api_base_url or "").rstrip("/")
        # With a local base URL, ignore TWILIO_EDGE/REGION: they would rewrite the host name.
        environment = {} if base_url else None
        self._client = Client(settings.twilio_account_sid, settings.twilio_auth_token,
                              http_client=http, environment=environment)
        if base_url:
            self._client.api.base_url = base_url
        self._messages = self._client.api.v2010.account.messages  # built once, not per thread
        self._secret = settings.twilio_auth_token
        self._default_service = settings.twilio_messaging_service_sid

    def _error(self, err: Exception) -> Exception:
        return to_provider_error(err, self._secret) or err

    def _sender(self, message: OutboundMessage) -> dict[str, str]:
        """Message's service > message's number > the deployment's default service."""
        if message.messaging_service_sid:
            return {"messaging_service_sid": message.messaging_service_sid}
        if message.from_number:
            return {"from_": message.from_number}
        if self._default_service:
            return {"messaging_service_sid": self._default_service}
        raise ProviderError("no sender: the message has neither a From number nor a messaging "
                            "service, and TWILIO_MESSAGING_SERVICE_SID is not set", transient=False)

    def send(self, message: OutboundMessage) -> SendResult:
        kwargs: dict[str, Any] = {"to": message.to, "body": message.body, **self._sender(message)}
        if message.media_urls:
            kwargs["media_url"] = list(message.media_urls)
        if message.status_callback:
            kwargs["status_callback"] = message.status_callback
        try:
            created = self._messages.create(**kwargs)
        except Exception as err:
            mapped = self._error(err)
            log.warning("twilio send to=%s campaign=%s failed: %s", mask(message.to),
                        message.campaign_id, getattr(mapped, "message", type(err).__name__))
            raise mapped from err
        # DEBUG: the recipient row keeps the sid and status; a line per text at INFO would be a
        # billed Application Insights record per text (common/logs.py)
        log.debug("twilio send to=%s campaign=%s sid=%s status=%s", mask(message.to),
                  message.campaign_id, created.sid, created.status)
        return SendResult(sid=created.sid, status=str(created.status or "queued"),
                          segments=_segments(created.num_segments))

    def find_sent(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        """Newest outbound message to ``message.to`` with the same body created since ``since``.

        Two listings: ``DateSent>`` narrows a long history but can miss a message still queued
        (no date_sent yet), so when it finds nothing the newest messages to the number are
        checked too. Twilio documents that filter as day-granular in UTC (``DateSent>=YYYY-MM-DD``:
        on or after that midnight), so it gets the UTC day of the floor — the day before, when the
        look-back crosses midnight — and the exact floor is applied to ``date_created`` here.
        Twilio's date_created has whole seconds, hence the floor and small skew.
        """
        floor = _as_utc(since).replace(microsecond=0) - CLOCK_SKEW
        service = message.messaging_service_sid or (None if message.from_number else self._default_service)
        queries = ({"date_sent_after": floor.date()}, {})
        try:
            for extra in queries:
                found = [m for m in self._messages.stream(to=message.to, page_size=FIND_PAGE_SIZE,
                                                          limit=FIND_LIMIT, **extra)
                         if self._matches(m, message, floor, service)]
                if found:
                    best = max(found, key=lambda m: m.date_created)
                    return SendResult(sid=best.sid, status=str(best.status or "queued"),
                                      segments=_segments(best.num_segments))
        except Exception as err:
            raise self._error(err) from err
        return None

    @staticmethod
    def _matches(found: Any, message: OutboundMessage, floor: datetime, service: str | None) -> bool:
        created = found.date_created
        if not isinstance(created, datetime) or created < floor:
            return False
        if found.direction and not str(found.direction).startswith("outbound"):
            return False
        if not _body_matches(found.body, message.body):
            return False
        if service:
            return found.messaging_service_sid in (None, service)
        return not message.from_number or found.from_ in (None, message.from_number)
