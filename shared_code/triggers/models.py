"""Trigger subscriptions (Power Automate webhooks) and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import ConfigDict, Field, field_validator

from ..common.fields import ADVANCED, IMPORTANT, INLINE, INTERNAL, doc
from ..common.models import EntityModel, RequestModel, ResponseModel, UtcTime
from ..common.queue_messages import QueueMessage
from ..common.storage.names import NOTIFY_QUEUE
from ..web.dropdowns import CONTACT

# subscription kinds: SMS = texts without media, MMS = texts with media, STATUS = delivery receipts,
# OPTOUT = a number opted out or back in (keyword, carrier or by hand)
SMS, MMS, STATUS, OPTOUT = "sms", "mms", "status", "optout"
KINDS = (SMS, MMS, STATUS, OPTOUT)
FINAL_STATUSES = ("delivered", "undelivered", "failed")  # what the delivery-status trigger reports
# the opt-out trigger's directions (its output's Direction, and its filter)
OPTED_OUT, OPTED_IN = "opted_out", "opted_in"

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
    Direction: str = ""            # opt-out trigger: only opted_out or only opted_in; empty for both
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

MAX_PHONE_INPUT = 40


def _callback() -> Any:
    return doc("Callback URL", "The flow's callback URL, filled in by the platform.", visibility=INTERNAL,
               schema={"x-ms-notification-url": True}, min_length=1, max_length=4096)


def from_number_field() -> Any:
    """The trigger input (also the poll query's): only texts from this number."""
    return doc("Only From Number", "Start the flow only for texts from this number: pick a contact, or type a number "
                                   "(E.164 such as +14155550123, or a national number); empty for every sender.", None,
               visibility=ADVANCED, dropdown=CONTACT, max_length=MAX_PHONE_INPUT)


def keyword_field() -> Any:
    """The trigger input (also the poll query's): only texts starting with this word."""
    return doc("Only Keyword", "Start the flow only for texts whose first word is this one, in any case, such as "
                               "JOIN; empty for every text.", None, visibility=ADVANCED, max_length=40)


class SubscribeBody(RequestModel):
    """Power Automate's webhook subscribe call (x-ms-notification-url: WebHookUri) plus our
    optional trigger inputs."""

    WebHookUri: str = _callback()
    FromNumber: str | None = from_number_field()
    Keyword: str | None = keyword_field()


class StatusSubscribeBody(RequestModel):
    WebHookUri: str = _callback()
    # The service also takes the statuses as one comma-separated string (as older flows send it).
    Statuses: str | list[str] | None = doc(
        "Statuses", "Which final statuses start the flow: delivered, undelivered or failed; empty for all three.",
        None, visibility=IMPORTANT,
        schema={"type": "array", "items": {"type": "string", "enum": list(FINAL_STATUSES), "x-ms-summary": "Status",
                                           "description": "A final status of a text."}})


class OptOutSubscribeBody(RequestModel):
    """The opt-out trigger's subscribe call: every opt-out and opt-in of the account, or one
    direction of them (a dropdown in the designer)."""

    WebHookUri: str = _callback()
    Direction: str | None = doc(
        "Only Direction", "opted_out to start the flow only when a number opts out, opted_in only when it opts back "
                          "in; empty for both.", None, visibility=IMPORTANT, schema={"enum": [OPTED_OUT, OPTED_IN]})


# ---------------------------------------------------------------- responses

def safe_url(url: str) -> str:
    """The callback without its query (Power Automate puts the flow's key there)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "…" if parts.query else "", ""))


class SubscriptionOut(ResponseModel):
    """A flow registered on a trigger."""

    model_config = ConfigDict(title="Subscription")
    RegistrationId: str = doc("Registration ID", "The trigger registration's id.")
    Kind: str = doc("Trigger Kind", "sms, mms, status or optout.")
    WebHookUri: str = doc("Callback URL", "The flow's callback URL without its query (which holds the flow's key).")
    FromNumber: str = doc("Only From Number", "Only texts from this number start the flow; empty for all.")
    Keyword: str = doc("Only Keyword", "Only texts starting with this word start the flow; empty for all.")
    Statuses: list[str] = doc("Statuses", "For delivery-status triggers: which final statuses start the flow.")
    Direction: str = doc("Only Direction", "For opt-out triggers: opted_out or opted_in when the flow starts for one "
                                           "direction only; empty for both.")
    CreatedAt: UtcTime = doc("Registered At", "When the flow registered (UTC).")
    CreatedBy: str = doc("Registered By", "The name of the API key of the connection.")
    DeadLetterCount: int = doc("Undelivered Notifications", "How many notifications could not be delivered to the "
                                                            "flow after every retry.")
    LastError: str = doc("Last Error", "The last error the flow answered with; empty if none.")
    LastErrorAt: UtcTime | None = doc("Last Error At", "When that error happened (UTC); empty if none.")

    @classmethod
    def of(cls, s: Subscription, **values: Any) -> Any:
        return cls(RegistrationId=s.SubscriptionId, Kind=s.Kind, WebHookUri=safe_url(s.CallbackUrl),
                   FromNumber=s.FromNumber, Keyword=s.Keyword, Statuses=s.Statuses if s.Kind == STATUS else [],
                   Direction=s.Direction,
                   CreatedAt=s.CreatedAt, CreatedBy=s.CreatedBy, DeadLetterCount=s.DeadLetterCount,
                   LastError=s.LastError, LastErrorAt=s.LastErrorAt, **values)


class NewSubscription(SubscriptionOut):
    """The registration made for the flow."""

    model_config = ConfigDict(title="NewSubscription")
    Secret: str = doc("Signing Secret", "The key of the X-PowerTextor-Signature header (HMAC-SHA256 of the body) on "
                                        "every notification; shown once.", "", visibility=INTERNAL)

    @classmethod
    def of(cls, s: Subscription, **values: Any) -> Any:
        return super().of(s, Secret=s.Secret, **values)


class DeadLetter(ResponseModel):
    """A notification the flow never accepted."""

    EventId: str = doc("Event ID", "The text or status event that was not delivered.")
    Attempts: int = doc("Attempts", "How many times delivery was tried.")
    LastStatus: int = doc("Last HTTP Status", "The last HTTP status code the flow answered with (0: no answer).")
    LastError: str = doc("Last Error", "What went wrong the last time.")
    FirstAttemptAt: UtcTime = doc("First Attempt At", "When delivery was first tried (UTC).")
    UpdatedAt: UtcTime = doc("Updated At", "When delivery was last tried (UTC).")


class SubscriptionDetail(SubscriptionOut):
    """A trigger registration and its undelivered notifications."""

    model_config = ConfigDict(title="SubscriptionDetail")
    DeadLetters: list[DeadLetter] = doc("Undelivered Notifications", "The latest notifications that could not be "
                                                                     "delivered.")


class DeletedSubscription(ResponseModel):
    model_config = INLINE
    RegistrationId: str = doc("Registration ID", "The registration's id.")
    Deleted: bool = doc("Deleted", "False when it was already gone (deleting twice is fine).")


class StatusEvent(ResponseModel):
    """What the delivery-status trigger posts to the flow."""

    EventType: str = doc("Event Type", "Always message.status.")
    CampaignId: str = doc("Campaign ID", "The campaign the text belongs to.")
    To: str = doc("Recipient Phone", "The recipient's number in E.164.")
    ContactId: str = doc("Recipient Contact ID", "The recipient's contact id, when it is a contact.")
    ContactName: str = doc("Recipient Name", "The recipient's name, when known.")
    Status: str = doc("Delivery Status", "delivered, undelivered or failed.")
    ErrorCode: str = doc("Error Code", "The carrier's error code when the text was not delivered, such as 30003.")
    ErrorMessage: str = doc("Error Message", "What the carrier said when the text was not delivered.")
    MessageSid: str = doc("Message SID", "The carrier's id of the text.")
    UpdatedAt: UtcTime = doc("Status Changed At", "When the status changed (UTC).")


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
