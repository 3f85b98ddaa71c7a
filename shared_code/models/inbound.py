"""Received texts, opt-outs and their audit trail, trigger subscriptions and their deliveries."""

from __future__ import annotations

from datetime import datetime

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ConfigDict, Field

from ..web.operations import doc
from .base import EntityModel, RequestModel, ResponseModel, UtcTime

# keyword actions
OPT_OUT, OPT_IN, HELP = "optout", "optin", "help"

# subscription kinds: SMS = texts without media, MMS = texts with media, STATUS = delivery receipts
SMS, MMS, STATUS = "sms", "mms", "status"
KINDS = (SMS, MMS, STATUS)
FINAL_STATUSES = ("delivered", "undelivered", "failed")  # what the delivery-status trigger reports

# delivery states
D_SENDING, D_RETRY, D_DELIVERED, D_DEAD, D_GONE = "sending", "retry", "delivered", "dead", "gone"
D_FINAL = frozenset({D_DELIVERED, D_DEAD, D_GONE})


class InboundMessage(EntityModel):
    """One received text, as stored before anyone is notified."""

    MessageId: str
    AccountId: str
    MessageSid: str = ""
    SmsSid: str = ""
    AccountSid: str = ""
    MessagingServiceSid: str = ""
    From: str = ""
    To: str = ""
    Body: str = ""
    NumMedia: int = 0
    NumSegments: int = 0
    Media: list[dict[str, str]] = Field(default_factory=list)  # [{"Url", "ContentType"}], every item
    ContactId: str = ""
    ContactName: str = ""
    Keyword: str = ""              # STOP, START, HELP ... (upper case) when the text is one
    KeywordAction: str = ""        # optout | optin | help
    OptOutType: str = ""           # set by Twilio Advanced Opt-Out: Twilio already replied
    SmsStatus: str = ""
    FromCity: str = ""
    FromState: str = ""
    FromZip: str = ""
    FromCountry: str = ""
    ToCity: str = ""
    ToState: str = ""
    ToZip: str = ""
    ToCountry: str = ""
    Params: dict[str, str] = Field(default_factory=dict)  # every form field Twilio sent, known or not
    ReceivedAt: datetime


class OptOut(EntityModel):
    """Current state of one number for one account (RowKey = E.164)."""

    Phone: str
    AccountId: str
    OptedOut: bool
    Keyword: str = ""
    Source: str = ""               # keyword | twilio | manual
    MessageId: str = ""
    ChangedBy: str = ""            # API key name for manual changes
    ChangedAt: datetime


class OptOutEvent(EntityModel):
    """The audit trail: every opt-out, opt-in and help request, never rewritten."""

    Phone: str
    AccountId: str
    Action: str                    # optout | optin | help
    Keyword: str = ""
    Source: str = ""
    MessageId: str = ""
    ChangedBy: str = ""
    Reason: str = ""
    At: datetime
    ReplyDue: bool = False         # a confirmation/help reply must be sent
    Replied: bool = False


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

ADVANCED, IMPORTANT, INTERNAL = "advanced", "important", "internal"
PHONE_TEXT = "The number: E.164 such as +14155550123, or a national number of your account's country."
MAX_PHONE_INPUT = 40


def _callback() -> Any:
    return doc("Callback URL", "The flow's callback URL, filled in by the platform.", visibility=INTERNAL,
               schema={"x-ms-notification-url": True}, min_length=1, max_length=4096)


def _from_number() -> Any:
    return doc("Only From Number", "Start the flow only for texts from this number (E.164 such as +14155550123, or a "
                                   "national number); empty for every sender.", None, visibility=ADVANCED,
               max_length=MAX_PHONE_INPUT)


def _keyword() -> Any:
    return doc("Only Keyword", "Start the flow only for texts whose first word is this one, in any case, such as "
                               "JOIN; empty for every text.", None, visibility=ADVANCED, max_length=40)


def _kind() -> Any:
    return doc("Kind", "sms for texts without attachments, mms for texts with; empty for both.", None,
               visibility=ADVANCED, schema={"enum": [SMS, MMS]}, max_length=10)


def _page() -> tuple[Any, Any]:
    return (doc("Page Size", "At most this many items (1 to 500, default 100); the response then has NextLink when "
                             "there are more.", None, visibility=ADVANCED, ge=1, le=500),
            doc("Page Token", "The skiptoken of the previous page's NextLink; empty for the first page.", None,
                visibility=ADVANCED, max_length=200))


class SubscribeBody(RequestModel):
    """Power Automate's webhook subscribe call (x-ms-notification-url: WebHookUri) plus our
    optional trigger inputs."""

    WebHookUri: str = _callback()
    FromNumber: str | None = _from_number()
    Keyword: str | None = _keyword()


class StatusSubscribeBody(RequestModel):
    WebHookUri: str = _callback()
    Statuses: str | list[str] | None = doc(  # delivered, undelivered, failed (default: all three)
        "Statuses", "Which final statuses start the flow, separated by commas: delivered, undelivered, failed; empty "
                    "for all three.", None, visibility=IMPORTANT, schema={"type": "string"})


class ReceivedQuery(RequestModel):
    From: str | None = doc("From Number", "Only texts from this number (E.164 or national).", None,
                           max_length=MAX_PHONE_INPUT)
    Kind: str | None = _kind()
    top: int | None = _page()[0]
    skiptoken: str | None = _page()[1]


class PollQuery(RequestModel):
    cursor: str | None = doc("Cursor", "Where the last check stopped; the platform keeps it in Location.", None,
                             visibility=INTERNAL, max_length=200)
    Kind: str | None = _kind()
    FromNumber: str | None = _from_number()
    Keyword: str | None = _keyword()


class OptOutBody(RequestModel):
    Phone: str = doc("Phone Number", PHONE_TEXT, min_length=1, max_length=MAX_PHONE_INPUT)
    Reason: str | None = doc("Reason", "Why, for the audit trail, such as Asked by phone.", None, visibility=IMPORTANT,
                             max_length=200)


class OptOutCheckQuery(RequestModel):
    Phone: str = doc("Phone Number", PHONE_TEXT, min_length=1, max_length=MAX_PHONE_INPUT)


class OptOutQuery(RequestModel):
    top: int | None = _page()[0]
    skiptoken: str | None = _page()[1]


# ---------------------------------------------------------------- responses

INLINE = ConfigDict(json_schema_extra={"x-inline": True})  # the definition shows it in place, not as a $ref


def safe_url(url: str) -> str:
    """The callback without its query (Power Automate puts the flow's key there)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "…" if parts.query else "", ""))


class SubscriptionOut(ResponseModel):
    """A flow registered on a trigger."""

    model_config = ConfigDict(title="Subscription")
    RegistrationId: str = doc("Registration ID", "The trigger registration's id.")
    Kind: str = doc("Trigger Kind", "sms, mms or status.")
    WebHookUri: str = doc("Callback URL", "The flow's callback URL without its query (which holds the flow's key).")
    FromNumber: str = doc("Only From Number", "Only texts from this number start the flow; empty for all.")
    Keyword: str = doc("Only Keyword", "Only texts starting with this word start the flow; empty for all.")
    Statuses: list[str] = doc("Statuses", "For delivery-status triggers: which final statuses start the flow.")
    CreatedAt: UtcTime = doc("Registered At", "When the flow registered (UTC).")
    CreatedBy: str = doc("Registered By", "The name of the API key of the connection.")
    DeadLetterCount: int = doc("Undelivered Notifications", "How many notifications could not be delivered to the "
                                                            "flow after every retry.")
    LastError: str = doc("Last Error", "The last error the flow's callback answered; empty if none.")
    LastErrorAt: UtcTime | None = doc("Last Error At", "When that error happened (UTC), or null.")

    @classmethod
    def of(cls, s: Subscription, **values: Any) -> Any:
        return cls(RegistrationId=s.SubscriptionId, Kind=s.Kind, WebHookUri=safe_url(s.CallbackUrl),
                   FromNumber=s.FromNumber, Keyword=s.Keyword, Statuses=s.Statuses if s.Kind == STATUS else [],
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
    LastStatus: int = doc("Last HTTP Status", "The last HTTP status the callback answered (0: no answer).")
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


class MediaItem(ResponseModel):
    model_config = INLINE
    Url: str = doc("Media Item URL", "The attachment's URL.")
    ContentType: str = doc("Media Item Type", "The attachment's type, such as image/png.")


class ReceivedText(ResponseModel):
    """A text a customer sent to your number."""

    MessageId: str = doc("Message ID", "Our id of the received text; the same text never comes twice with another "
                                       "id, so use it to de-duplicate.")
    ReceivedAt: UtcTime = doc("Received At", "When the text arrived (UTC).")
    MessageSid: str = doc("Message SID", "The carrier's id of the received message.")
    SmsSid: str = doc("SMS SID", "The carrier's id of the received message (as the original trigger names it).")
    AccountSid: str = doc("Twilio Account SID", "The Twilio account that received it.", visibility=ADVANCED)
    MessagingServiceSid: str = doc("Messaging Service SID", "The Twilio Messaging Service, if any.",
                                   visibility=ADVANCED)
    From: str = doc("From", "The sender's number in E.164, such as +14155550123.")
    To: str = doc("To", "Your number that received the text.")
    Body: str = doc("Message Text", "The text the customer sent.")
    MessageStatus: str = doc("Message Status", "The carrier's status of the text: received.")
    OptOutType: str = doc("Opt Out Type", "STOP, START or HELP when the carrier itself handled a keyword; empty "
                                          "otherwise.")
    NumMedia: int = doc("Number of Media", "How many attachments came with the text (0 for an SMS).")
    NumSegments: int = doc("Number of Segments", "How many segments the text took.")
    ReferralNumMedia: int = doc("Referral Number of Media", "Attachments of a referral message, as the carrier "
                                                            "reports them.", visibility=ADVANCED)
    mediaURL: str = doc("Media URL", "The first attachment's URL; empty for an SMS.")
    contentType: str = doc("Media Content Type", "The first attachment's type, such as image/jpeg.")
    Media: list[MediaItem] = doc("Media", "Every attachment, in order.")
    ContactId: str = doc("Contact ID", "The sender's contact id when the number is in your address book; empty "
                                       "otherwise.")
    ContactName: str = doc("Contact Name", "The sender's name when the number is a contact; empty otherwise.")
    Keyword: str = doc("Keyword", "STOP, START, HELP or a synonym when the text was one (already handled: the number "
                                  "is opted out or in); empty otherwise.")
    FromCity: str = doc("From City", "The sender's city, when the carrier knows it.")
    FromState: str = doc("From State", "The sender's state or province, when known.")
    FromZip: str = doc("From Zip", "The sender's postal code, when known.")
    FromCountry: str = doc("From Country", "The sender's country, when known.")
    ToCity: str = doc("To City", "The city of your number, when known.")
    ToState: str = doc("To State", "The state or province of your number, when known.")
    ToZip: str = doc("To Zip", "The postal code of your number, when known.")
    ToCountry: str = doc("To Country", "The country of your number, when known.")


class ReceivedTextEvent(ReceivedText):
    """What the SMS and MMS triggers post to the flow (documents ``services.inbound.payload_of``)."""

    EventType: str = doc("Event Type", "Always message.received.")


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


class OptOutState(ResponseModel):
    """Whether a number may be texted."""

    Phone: str = doc("Phone", "The number in E.164.")
    OptedOut: bool = doc("Opted Out", "True when the number must not be texted.")
    Keyword: str = doc("Keyword", "The keyword that changed the state, such as STOP; empty for a change by hand.")
    Source: str = doc("Source", "keyword, twilio or manual; empty when the number never opted out.")
    ChangedAt: UtcTime | None = doc("Changed At", "When the state last changed (UTC), or null if it never did.")
    MessageId: str = doc("Message ID", "The received text that changed the state, if any.")
    ChangedBy: str = doc("Changed By", "The API key name of a change by hand.")


class OptOutEventOut(ResponseModel):
    """One opt-out, opt-in or help request."""

    model_config = ConfigDict(title="OptOutEvent")
    Phone: str = doc("Phone", "The number in E.164.")
    Action: str = doc("Action", "optout, optin or help.")
    Keyword: str = doc("Keyword", "The keyword the customer sent; empty for a change by hand.")
    Source: str = doc("Source", "keyword, twilio or manual.")
    MessageId: str = doc("Message ID", "The received text, if any.")
    ChangedBy: str = doc("Changed By", "The API key name of a change by hand.")
    Reason: str = doc("Reason", "The reason given with a change by hand.")
    At: UtcTime = doc("At", "When it happened (UTC).")
    Replied: bool = doc("Replied", "Whether the confirmation or help reply was sent.")


class OptOutCheck(OptOutState):
    """A number's opt-out state and history."""

    History: list[OptOutEventOut] = doc("History", "The latest changes, newest first.")
