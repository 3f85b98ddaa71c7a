"""The provider-neutral SMS interface the rest of the app codes against.

Services build an ``OutboundMessage``, call ``SmsProvider.send`` and store the ``SendResult``.
Every provider failure surfaces as ``ProviderError`` with a ``transient`` flag so the caller
decides between "retry later" and "mark failed" without knowing provider error codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class OutboundMessage:
    """One text to one recipient, fully resolved (numbers already E.164)."""

    account_id: str
    campaign_id: str
    to: str                      # E.164
    body: str
    from_number: str | None      # the account's number (E.164), used when no messaging service
    messaging_service_sid: str | None = None   # wins over from_number when set
    media_urls: tuple[str, ...] = ()
    status_callback: str | None = None          # full https URL incl. query


@dataclass(frozen=True)
class SendResult:
    """What the provider said right after accepting the message."""

    sid: str
    status: str          # "queued"/"accepted"/"sent", or "delivered" for the outbox
    segments: int | None = None


class ProviderError(Exception):
    """A send or lookup the provider refused or never answered.

    ``transient`` is True when trying again later can succeed (rate limits, 5xx, timeouts,
    connection errors) and False when it cannot (invalid/unsubscribed/landline number, bad
    credentials). ``uncertain`` is True when the provider may nevertheless have accepted the
    message (read timeout, dropped connection, 5xx): call ``find_sent`` before sending again.
    ``message`` is safe to store and show: it never contains credentials.
    """

    def __init__(self, message: str, *, transient: bool, code: int | None = None,
                 status: int | None = None, uncertain: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.code = code
        self.status = status
        self.uncertain = uncertain

    def __repr__(self) -> str:
        return (f"ProviderError({self.message!r}, transient={self.transient}, code={self.code}, "
                f"status={self.status}, uncertain={self.uncertain})")


@runtime_checkable
class SmsProvider(Protocol):
    """Sends texts. Implementations are thread-safe: one instance serves every worker thread."""

    name: str

    def send(self, message: OutboundMessage) -> SendResult: ...

    def find_sent(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        """The newest message with this To and body created at or after ``since``, if any.

        Crash recovery: a worker that died between the provider call and recording the result
        asks this before sending again, so nobody is texted twice."""
        ...
