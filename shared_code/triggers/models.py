"""Trigger subscriptions (Power Automate webhooks) and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator

from ..common.models import EntityModel, RequestModel
from ..common.queue_messages import QueueMessage
from ..common.storage.names import NOTIFY_QUEUE

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


# ---------------------------------------------------------------- queue message

class NotifyMessage(QueueMessage):
    """One delivery to a flow: subscription ``s`` of account ``a``, event ``k`` (its type ``e``,
    its body ``p``), the fan-out's token ``t`` (who owns the delivery), attempt ``n`` and the
    first attempt's time ``f`` (ISO 8601, for the age limit)."""

    QUEUE: ClassVar[str] = NOTIFY_QUEUE
    account_id: str = Field(alias="a", min_length=1)
    subscription_id: str = Field(alias="s", min_length=1)
    event_key: str = Field(alias="k", min_length=1)
    token: str = Field(alias="t", min_length=1)
    attempt: int = Field(default=1, alias="n")
    first_attempt_at: str = Field(default="", alias="f")
    event_type: str = Field(default="", alias="e")
    payload: dict[str, Any] = Field(default_factory=dict, alias="p")

    @field_validator("attempt", mode="before")
    @classmethod
    def _first_when_unset(cls, n: Any) -> Any:
        return n or 1

    @field_validator("payload", "first_attempt_at", "event_type", mode="before")
    @classmethod
    def _empty_when_null(cls, value: Any, info: Any) -> Any:
        if value is None:
            return {} if info.field_name == "payload" else ""
        return value
