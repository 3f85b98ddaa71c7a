"""Trigger subscriptions (Power Automate webhooks) and their deliveries."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ..common.models import EntityModel, RequestModel

# subscription kinds: SMS = texts without media, MMS = texts with media, STATUS = delivery receipts
SMS, MMS, STATUS = "sms", "mms", "status"
KINDS = (SMS, MMS, STATUS)
FINAL_STATUSES = ("delivered", "undelivered", "failed")  # what the delivery-status trigger reports

# delivery states
D_SENDING, D_RETRY, D_DELIVERED, D_DEAD, D_GONE = "sending", "retry", "delivered", "dead", "gone"
D_FINAL = frozenset({D_DELIVERED, D_DEAD, D_GONE})


class Subscription(EntityModel):
    SubscriptionId: str
    AccountId: str
    Kind: str
    CallbackUrl: str               # verbatim, as Power Automate gave it
    Secret: str                    # HMAC key of X-PowerTextor-Signature
    FromNumber: str = ""           # only texts from this number (E.164)
    Keyword: str = ""              # only texts whose first word is this (upper case)
    Statuses: list[str] = Field(default_factory=list)  # status trigger: which final statuses
    CreatedAt: datetime
    CreatedBy: str = ""
    CreatedByKeyId: str = ""
    DeadLetterCount: int = 0
    LastError: str = ""
    LastErrorAt: datetime | None = None


class Delivery(EntityModel):
    """One subscription x one event: who owns it (Token), which attempt, where it stands."""

    SubscriptionId: str
    EventKey: str
    EventId: str
    Token: str
    Attempt: int = 1
    State: str = D_SENDING
    SendingAt: datetime | None = None
    FirstAttemptAt: datetime
    NextAttemptAt: datetime | None = None
    DeliveredAt: datetime | None = None
    LastStatus: int = 0
    LastError: str = ""
    UpdatedAt: datetime


# ---------------------------------------------------------------- requests

class SubscribeBody(RequestModel):
    """Power Automate's webhook subscribe call (x-ms-notification-url: WebHookUri) plus our
    optional trigger inputs."""

    WebHookUri: str = Field(min_length=1, max_length=4096)
    FromNumber: str | None = Field(default=None, max_length=40)
    Keyword: str | None = Field(default=None, max_length=40)


class StatusSubscribeBody(RequestModel):
    WebHookUri: str = Field(min_length=1, max_length=4096)
    Statuses: str | list[str] | None = None  # delivered, undelivered, failed (default: all three)
