"""Campaigns (one per send action), their recipients, the send actions' request body and the
pipeline's queue messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Field, PrivateAttr, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from ..addressbook.models import MAX_NAME_CHARS, GroupSummary
from ..common.fields import ADVANCED, INLINE, doc
from ..common.models import EntityModel, RequestModel, ResponseModel, UtcTime
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
MAX_PLACE_REF_CHARS = 512          # a Google Place ID or our place id
MAX_WHEN_CHARS = 64                # a date, a time or an ISO moment as typed
MAX_MEDIA_URL_CHARS = 2048         # the attachment URL of "Send a text"

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
    # How its counters are kept (storage.CampaignRepository.counts): the number of counter
    # shards in its Recipients partition, set by dispatch before the first recipient exists;
    # 0 = a campaign dispatched before counters existed (counted by a scan); COUNTS_FROZEN =
    # such a campaign whose recipients are all final, its counts kept on this row for good.
    Counters: int = 0
    # The action's quiet-hours override (None: the action's default, messaging/quiet_hours.py)
    Transactional: bool | None = None


class Recipient(EntityModel):
    # The status as stored (None: not stored yet): a write moves the campaign's counters from
    # this status to ``Status`` in the same transaction (storage.CampaignRepository).
    _stored_status: str | None = PrivateAttr(default=None)

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
    # Quiet hours (messaging/quiet_hours.py): when a text held outside the recipient's sending
    # window goes out, and why it waited; kept after it went out.
    HeldUntil: datetime | None = None
    HeldReason: str = ""
    UpdatedAt: datetime

    def model_post_init(self, context: object, /) -> None:
        self._stored_status = self.Status


class SendBody(RequestModel):
    """Every field any of the send actions takes; each action says which it requires."""

    To: str | list[str] | None = None
    GroupName: str | list[str] | None = None
    Groups: str | list[str] | None = None     # the general actions' groups and numbers
    Numbers: str | list[str] | None = None
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
    MediaUrl: str | None = Field(default=None, max_length=MAX_MEDIA_URL_CHARS)
    # True: a transactional text the recipient asked for, sent whatever their local time;
    # False: held outside the quiet-hours window; empty: the action's default (quiet_hours.py)
    Transactional: bool | None = None

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


DATE_FORMATS_TEXT = "MM/DD/YYYY (12/01/2026), MM/DD/YY (12/01/26) or YYYY-MM-DD (2026-12-01)"
TIME_FORMATS_TEXT = "hh:mm AM/PM (9:05 PM) or 24-hour HH:mm (21:05)"


class RescheduleBody(RequestModel):
    ScheduledAt: str | None = doc("Send At (ISO 8601)", "The new moment with an offset, such as 2026-12-01T15:30:00Z; "
                                  "or leave it empty and give the date and time.", None,
                                  schema={"format": "date-time"})
    ScheduledDate: str | None = doc("Schedule Date", f"The new day, in UTC: {DATE_FORMATS_TEXT}.", None)
    ScheduledTime: str | None = doc("Schedule Time (UTC)", f"The new time, in UTC: {TIME_FORMATS_TEXT}.", None)


def _status_filter(statuses: tuple[str, ...]) -> object:
    """The service checks the value (any case), so the enum is the definition's only."""
    return doc("Status", "Only items with this status.", None, visibility=ADVANCED, schema={"enum": list(statuses)})


def _page_size(largest: int) -> object:
    return doc("Page Size", f"At most this many items per page (1 to {largest}); the response then has NextLink when "
                            "there are more. Empty returns everything.", None, visibility=ADVANCED, ge=1, le=largest)


PAGE_TOKEN = doc("Page Token", "The skiptoken of the previous page's NextLink; empty for the first page.", None,
                 visibility=ADVANCED, max_length=200)
MAX_PAGE = 500


class CampaignQuery(RequestModel):
    status: str | None = _status_filter((SCHEDULED, QUEUED, SENDING, SENT, CANCELLED))
    top: int | None = _page_size(MAX_PAGE)
    skiptoken: str | None = PAGE_TOKEN


class RecipientQuery(RequestModel):
    status: str | None = _status_filter((PENDING, SENDING_R, QUEUED_R, SENT_R, DELIVERED, UNDELIVERED, FAILED,
                                         SKIPPED, CANCELLED_R))
    top: int | None = _page_size(MAX_PAGE)
    skiptoken: str | None = PAGE_TOKEN


# ---------------------------------------------------------------- responses

CAMPAIGN_ID_TEXT = "The campaign's id: use it to check, cancel or reschedule the send."


class CampaignGroup(ResponseModel):
    """A group a campaign texts."""

    GroupId: str = doc("Campaign Group ID", "The id of a group the campaign texts.")
    Name: str = doc("Campaign Group Name", "The group's name when the campaign was made.")
    ContactsCount: int = doc("Campaign Group Size", "The group's size when the campaign was made.")
    IsVisible: bool = doc("Campaign Group Is Visible", "Always true: a campaign texts groups you can see.",
                          visibility=ADVANCED)


class CampaignOut(ResponseModel):
    """A campaign: one send action and its recipients."""

    model_config = ConfigDict(title="Campaign")
    CampaignId: str = doc("Campaign ID", CAMPAIGN_ID_TEXT)
    AccountId: str = doc("Campaign Account ID", "The account that sends.", visibility=ADVANCED)
    Type: str = doc("Campaign Type", "Message, Review or MMS.")
    Body: str = doc("Campaign Text", "The text as sent, with the review link and opt-out line added.")
    SendDate: UtcTime = doc("Send Date", "When the campaign goes (or went) out (UTC).")
    PlaceId: str = doc("Campaign Place", "The Google Place ID of a review request; empty otherwise.")
    Status: str = doc("Campaign Status", "Scheduled, Queued, Sending, Sent or Cancelled.")
    CreatedAt: UtcTime = doc("Campaign Created At", "When the action ran (UTC).")
    CreatedBy: str = doc("Created By", "The name of the API key that made the campaign.")
    Groups: list[CampaignGroup] = doc("Campaign Groups", "The groups the campaign texts.")
    Reach: int = doc("Reach", "How many recipients the campaign has (opted-out numbers excluded).")
    SentCount: int = doc("Sent Count", "How many texts the carrier accepted.")
    UndeliveredCount: int = doc("Undelivered Count", "How many texts were undelivered or failed.")
    IsReminder: bool = doc("Is Reminder", "True for event reminders.")
    DeliveredCount: int = doc("Delivered Count", "How many texts were delivered.")
    FailedCount: int = doc("Failed Count", "How many texts failed for good.")
    SkippedCount: int = doc("Skipped Count", "How many recipients were skipped (opted out).")
    PendingCount: int = doc("Pending Count", "How many texts are still to be sent.")
    Operation: str = doc("Operation", "The action that made the campaign.", visibility=ADVANCED)
    Segments: int = doc("Segments", "Segments per text (160 GSM-7 or 70 UCS-2 characters each).")
    Encoding: str = doc("Encoding", "GSM-7 or UCS-2.", visibility=ADVANCED)
    SeriesId: str = doc("Series ID", "Shared by the reminders one action made; empty otherwise.", visibility=ADVANCED)
    CancelledAt: UtcTime | None = doc("Cancelled At", "When the campaign was cancelled (UTC); empty if it was not.")
    CompletedAt: UtcTime | None = doc("Completed At", "When every text was handed to the carrier (UTC); empty until then.")
    LinkClicks: int = doc("Link Clicks", "How many times the tracked review link was opened; 0 without one.")


class SentCampaign(CampaignOut):
    """The campaign a send action made."""

    model_config = ConfigDict(title="SentCampaign")
    Reminders: list[CampaignOut] = doc("Reminders", "Every reminder the action scheduled, earliest first, when it "
                                                    "asked for more than one.", [])


class RecipientOut(ResponseModel):
    """One recipient of a campaign and its delivery status."""

    model_config = ConfigDict(title="Recipient")
    Phone: str = doc("Recipient Phone", "The recipient's number in E.164.")
    ContactId: str = doc("Recipient Contact ID", "The recipient's contact id, when it is a contact.")
    Name: str = doc("Recipient Name", "The recipient's name, when known.")
    Status: str = doc("Recipient Status", "pending, sending, queued, sent, delivered, undelivered, failed, skipped "
                                          "or cancelled.")
    Attempts: int = doc("Attempts", "How many times sending was attempted.")
    ProviderSid: str = doc("Message SID", "The carrier's message id (Twilio SM…).", visibility=ADVANCED)
    ErrorCode: str = doc("Recipient Error Code", "The carrier's error code, such as 21610 (opted out).")
    ErrorMessage: str = doc("Recipient Error Message", "What the carrier said, when it failed.")
    UpdatedAt: UtcTime = doc("Recipient Updated At", "When the status last changed (UTC).")
    HeldUntil: UtcTime | None = doc("Held Until", "When a text held by quiet hours goes (or went) out (UTC), or "
                                                  "null when it was not held.")
    HeldReason: str = doc("Held Reason", "Why the text was held, such as the recipient's local time being outside "
                                         "the quiet-hours window; empty when it was not held.")


class LinkStats(ResponseModel):
    """A tracked review link of a campaign and how often it was opened."""

    Code: str = doc("Link Code", "The link's short code.")
    Url: str = doc("Short Link", "The short link texted to recipients.")
    PlaceId: str = doc("Link Place", "The Google Place ID the link opens the review form of.")
    Target: str = doc("Review Form", "Where the link sends the browser: the place's Google review form.")
    Clicks: int = doc("Clicks", "How many times the link was opened.")
    CreatedAt: UtcTime = doc("Link Created At", "When the link was made (UTC).")
    LastClickAt: UtcTime | None = doc("Last Click At", "When the link was last opened (UTC); empty if never.")


class MessageRecordAccount(ResponseModel):
    """The sending account."""

    model_config = INLINE
    AccountId: str = doc("Account ID", "The account's id.")
    Name: str = doc("Business Name", "The account's name.")
    ServicePhone: str = doc("Business Number", "The number texts come from.")
    Status: str = doc("Account Status", "Active.")
    CreatedAt: UtcTime = doc("Account Created At", "When the account was made (UTC).")
    # The original connector's billing identifiers, kept so flows that read them still run:
    # always empty, this backend keeps no billing data.
    StripeCustomerId: str = doc("Billing Customer ID", "Always empty: no billing data is kept.",
                                visibility=ADVANCED)
    StripeSubscriptionId: str = doc("Billing Subscription ID", "Always empty: no billing data is kept.",
                                    visibility=ADVANCED)


class MessageRecordContact(ResponseModel):
    """The contact texted."""

    model_config = INLINE
    ContactId: str = doc("Contact ID", "The contact's id.")
    Phone: str = doc("Contact Phone", "The contact's number.")
    Name: str = doc("Contact Name", "The contact's first name.")
    WelcomeSent: bool = doc("Welcome Sent", "Whether a welcome text has been sent.")
    Status: str = doc("Contact Status", "The contact's status.")
    Groups: list[GroupSummary] = doc("Contact Groups", "Always empty here.")


class MessageRecord(ResponseModel):
    """The message record of a review request to one contact."""
    # The original connector's answer to SendReviewSingleContact, field for field (no billing ids).

    MessageId: str = doc("Message ID", "The message's id (the campaign id).")
    AccountId: str = doc("Account ID", "The account that sends.", visibility=ADVANCED)
    Type: str = doc("Message Type", "Review.")
    ReferenceId: str = doc("Reference ID", "The Google Place ID of the review request.")
    Direction: str = doc("Direction", "Outgoing.")
    From: str = doc("From", "Your business number.")
    To: str = doc("To", "The contact's number.")
    Body: str = doc("Message Text", "The text as sent.")
    CampaignId: str = doc("Campaign ID", CAMPAIGN_ID_TEXT)
    Rating: int = doc("Rating", "The customer's rating, when known; 0 otherwise.")
    Segments: int = doc("Segments", "Segments per text.")
    Status: str = doc("Message Status", "The campaign's status.")
    Deleted: bool = doc("Deleted", "Always false.")
    CreatedAt: UtcTime = doc("Created At", "When the action ran (UTC).")
    Account: MessageRecordAccount
    Contact: MessageRecordContact | None


# ---------------------------------------------------------------- queue messages

# recipients per send message: one table transaction with the counter row it moves (dispatch
# writes them so; the service allows 100 operations)
MAX_SEND_BATCH = 99
MAX_SEND_MESSAGE_PHONES = 100  # what a message queued before the counter rows may hold (their campaigns have none)


class DispatchMessage(QueueMessage):
    """Expand campaign ``c`` of account ``a`` into recipients, if it is still at version ``v``."""

    QUEUE: ClassVar[str] = DISPATCH_QUEUE
    account_id: str = Field(alias="a", min_length=1)
    campaign_id: str = Field(alias="c", min_length=1)
    version: int = Field(alias="v")


class StoredRecipient(QueueMessage):
    """What dispatch stored of one pending recipient besides its phone: the row's ETag and
    contact. The rest of a new row is the same for the whole chunk."""

    etag: str = Field(alias="e", min_length=1)
    contact_id: str = Field(default="", alias="i")
    name: str = Field(default="", alias="n")


class SendMessage(QueueMessage):
    """Text these recipients (phone numbers, the Recipients' RowKeys) of campaign ``c``.

    Dispatch also sends the rows as it has just created them (``stored``, one per phone, all
    pending and written at ``stored_at``), so the first send of a chunk claims them without
    reading them back: in Table Storage that read is a filter of 14 keys at most (15
    comparisons with the partition's), eight queries a chunk. A row changed since fails its
    ETag and is read as it is now."""

    QUEUE: ClassVar[str] = SEND_QUEUE
    account_id: str = Field(alias="a", min_length=1)
    campaign_id: str = Field(alias="c", min_length=1)
    phones: list[str] = Field(alias="p")
    stored: list[StoredRecipient] = Field(default_factory=list, alias="s")
    stored_at: datetime | None = Field(default=None, alias="t")

    @field_validator("phones")
    @classmethod
    def _one_batch(cls, phones: list[str]) -> list[str]:
        return phones[:MAX_SEND_MESSAGE_PHONES]

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_defaults=True)

    def stored_rows(self) -> list[Recipient]:
        """The rows dispatch stored, with their ETags; empty when the message carries none (a
        retry, or a message from before this field) or they don't match its phones."""
        if not self.stored or self.stored_at is None or len(self.stored) != len(self.phones):
            return []
        return [Recipient(Phone=phone, AccountId=self.account_id, ContactId=s.contact_id, Name=s.name,
                          UpdatedAt=self.stored_at).with_etag(s.etag)  # type: ignore[misc]
                for phone, s in zip(self.phones, self.stored)]
