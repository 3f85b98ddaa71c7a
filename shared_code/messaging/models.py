"""Campaigns (one per send action), their recipients, the send actions' request body and the
pipeline's queue messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from ..common.models import EntityModel, RequestModel
from ..common.queue_messages import QueueMessage
from ..common.storage.names import DISPATCH_QUEUE, SEND_QUEUE

# Campaign statuses
SCHEDULED, QUEUED, SENDING, SENT, CANCELLED = "Scheduled", "Queued", "Sending", "Sent", "Cancelled"
NOT_DISPATCHED = (SCHEDULED, QUEUED)

# Recipient statuses, in the order they may move (a status never moves back to a lower rank).
PENDING, SENDING_R, QUEUED_R, SENT_R = "pending", "sending", "queued", "sent"
DELIVERED, UNDELIVERED, FAILED, SKIPPED, CANCELLED_R = "delivered", "undelivered", "failed", "skipped", "cancelled"
RANK = {PENDING: 0, SENDING_R: 1, QUEUED_R: 2, SENT_R: 3, DELIVERED: 4, UNDELIVERED: 4, FAILED: 4, SKIPPED: 4,
        CANCELLED_R: 4}
FINAL = frozenset({DELIVERED, UNDELIVERED, FAILED, SKIPPED, CANCELLED_R})
ACCEPTED = frozenset({QUEUED_R, SENT_R, DELIVERED, UNDELIVERED})  # the provider took it

# Limits of a send request. Table Storage holds at most 64 KiB (32K UTF-16 characters) in one
# string property and 1 MiB in a row: every field that is stored has a bound far below that,
# and the audience (numbers, contact ids) is stored in rows of its own (storage/campaigns.py).
MAX_RECIPIENTS_PER_SEND = 100_000  # numbers + contact ids named by one action (a 1 MB body holds ~70,000)
MAX_GROUPS_PER_SEND = 100          # groups named by one action (kept on the campaign row, shown by GET)
MAX_TEXT_INPUT_CHARS = 10_000      # a text field as given; the message itself is checked against 1600
MAX_NAME_CHARS = 100               # contact names, group names
MAX_PLACE_REF_CHARS = 512          # a Google Place ID or our place id
MAX_WHEN_CHARS = 64                # a date, a time or an ISO moment as typed

TextInput = Annotated[str, StringConstraints(max_length=MAX_TEXT_INPUT_CHARS)]
WhenInput = Annotated[str, StringConstraints(max_length=MAX_WHEN_CHARS)]


class GroupRef(EntityModel):
    GroupId: str
    Name: str
    ContactsCount: int = 0


class Campaign(EntityModel):
    CampaignId: str
    AccountId: str
    Operation: str
    Type: str                      # Message | Review | MMS
    IsReminder: bool = False
    Body: str
    PlaceId: str = ""              # the Google Place ID of a review request
    SendDate: datetime
    Status: str
    CreatedAt: datetime
    CreatedBy: str = ""            # the API key's name
    CreatedByKeyId: str = ""
    Groups: list[GroupRef] = Field(default_factory=list)
    GroupIds: list[str] = Field(default_factory=list)
    # The numbers and contact ids a send names: here when they are few, else in rows of the
    # Audiences table (AudienceRows of them); CampaignRepository.audience reads either.
    ContactIds: list[str] = Field(default_factory=list)
    Numbers: list[str] = Field(default_factory=list)
    AudienceRows: int = 0
    MediaUrls: list[str] = Field(default_factory=list)
    Segments: int = 1
    Encoding: str = "GSM-7"
    Version: int = 1
    Reach: int = 0
    SentCount: int = 0
    DeliveredCount: int = 0
    UndeliveredCount: int = 0
    FailedCount: int = 0
    SkippedCount: int = 0
    PendingCount: int = 0
    DispatchedAt: datetime | None = None
    # Written once, after dispatch's last chunk of recipients is stored and queued: until then
    # the recipients so far are not the whole audience, so the campaign cannot be Sent.
    DispatchCompletedAt: datetime | None = None
    DispatchedCount: int = 0       # recipients dispatch made (skipped ones included)
    CancelledAt: datetime | None = None
    CompletedAt: datetime | None = None
    EventDate: str = ""            # YYYY-MM-DD, reminders only
    SeriesId: str = ""             # reminders made by one action share it
    LinkCode: str = ""             # tracked review link, if any


class Recipient(EntityModel):
    Phone: str
    AccountId: str
    ContactId: str = ""
    Name: str = ""
    Status: str = PENDING
    Attempts: int = 0
    ProviderSid: str = ""
    ErrorCode: str = ""
    ErrorMessage: str = ""
    NextAttemptAt: datetime | None = None
    SendingAt: datetime | None = None
    Uncertain: bool = False  # the last attempt may have reached the provider: check before resending
    # When the earliest attempt whose outcome is still unknown was claimed. The "did it go out?"
    # check looks back from here; a new claim never moves it forward (SendingAt is the latest
    # claim), and it is cleared only once an outcome is written.
    UncertainSince: datetime | None = None
    UpdatedAt: datetime


class SendBody(RequestModel):
    """Every field any of the 36 send actions takes; each action says which it requires."""

    To: str | list[str] | None = None
    GroupName: str | list[str] | None = None
    ContactNumber: str | list[str] | None = None
    ContactName: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    ContactLastName: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    Body: TextInput | None = None
    Message: TextInput | None = None
    ReviewText: TextInput | None = None
    ReminderText: TextInput | None = None
    GooglePlaceId: str | None = Field(default=None, max_length=MAX_PLACE_REF_CHARS)
    PlaceId: str | None = Field(default=None, max_length=MAX_PLACE_REF_CHARS)
    ScheduledDate: WhenInput | None = None
    ScheduledTime: WhenInput | None = None
    ScheduledAt: WhenInput | None = None
    EventDate: WhenInput | None = None
    Day: int | None = None
    Time: WhenInput | None = None
    ExtraDaysBefore: list[int] | None = Field(default=None, max_length=10)
    ReplySTOPToOptOut: bool = False
    TrackLink: bool = False  # review requests: a short link on our host that counts clicks

    @field_validator("EventDate")
    @classmethod
    def _event_date(cls, value: str | None) -> str | None:
        """A date whatever the action (it is stored); "" is not given, as Power Automate
        sends it for a cleared field."""
        from ..common.errors import ValidationFailed
        from .schedule import DATE_FORMATS, parse_date

        if value is None or not value.strip():
            return None
        try:
            parse_date(value, "EventDate")
        except ValidationFailed:
            raise PydanticCustomError("invalid_date", "not a date; use {formats}",
                                      {"formats": DATE_FORMATS}) from None
        return value

    def items(self, field: str) -> list[str]:
        """A recipients field as a list: one value, a list, or a comma/semicolon/newline
        separated string (what a maker pastes into a text box)."""
        value = getattr(self, field, None)
        values = value if isinstance(value, list) else [value]
        out: list[str] = []
        for item in values:
            if item is None:
                continue
            parts = str(item).replace(";", ",").replace("\n", ",").split(",")
            out += [p.strip() for p in parts if p.strip()]
        return out

    def text(self, field: str) -> str | None:
        """A single text field (a list sent where one value is expected: its first item)."""
        value = getattr(self, field, None)
        if isinstance(value, list):
            value = next((str(v) for v in value if v is not None), None)
        return value.strip() if isinstance(value, str) and value.strip() else None


class RescheduleBody(RequestModel):
    ScheduledAt: str | None = None
    ScheduledDate: str | None = None
    ScheduledTime: str | None = None


class CampaignQuery(RequestModel):
    status: str | None = None
    top: int | None = Field(default=None, ge=1, le=500)
    skiptoken: str | None = Field(default=None, max_length=200)


# ---------------------------------------------------------------- queue messages

MAX_SEND_BATCH = 100  # recipients per send message: one table transaction (dispatch writes them so)


class DispatchMessage(QueueMessage):
    """Expand campaign ``c`` of account ``a`` into recipients, if it is still at version ``v``."""

    QUEUE: ClassVar[str] = DISPATCH_QUEUE
    account_id: str = Field(alias="a", min_length=1)
    campaign_id: str = Field(alias="c", min_length=1)
    version: int = Field(alias="v")


class SendMessage(QueueMessage):
    """Text these recipients (phone numbers, the Recipients' RowKeys) of campaign ``c``."""

    QUEUE: ClassVar[str] = SEND_QUEUE
    account_id: str = Field(alias="a", min_length=1)
    campaign_id: str = Field(alias="c", min_length=1)
    phones: list[str] = Field(alias="p")

    @field_validator("phones")
    @classmethod
    def _one_batch(cls, phones: list[str]) -> list[str]:
        return phones[:MAX_SEND_BATCH]
