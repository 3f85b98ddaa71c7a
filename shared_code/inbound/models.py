"""Received texts, opt-outs and their audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Discriminator, Field, Tag

from ..common.fields import ADVANCED, IMPORTANT, INLINE, INTERNAL, doc
from ..common.models import EntityModel, RequestModel, ResponseModel, UtcTime
from ..common.queue_messages import QueueChoice, QueueMessage
from ..common.storage.names import INBOUND_QUEUE
from ..triggers.models import MAX_PHONE_INPUT, MMS, OPTED_IN, OPTED_OUT, SMS, from_number_field, keyword_field

# keyword actions
OPT_OUT, OPT_IN, HELP = "optout", "optin", "help"
# where an opt-out or opt-in came from: a keyword text, Twilio's own opt-out handling
# (Advanced Opt-Out: the webhook carries OptOutType), or a change by hand (OptOutNumber/OptInNumber)
SOURCE_KEYWORD, SOURCE_TWILIO, SOURCE_MANUAL = "keyword", "twilio", "manual"
# the opt-out trigger's Direction, per action
DIRECTIONS = {OPT_OUT: OPTED_OUT, OPT_IN: OPTED_IN}
OPTOUT_EVENT_TYPE = "optout.changed"



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
    # The state before this change: a re-run of the same keyword text (a queue retry after the
    # state was written) can still tell whether that text changed anything.
    WasOptedOut: bool = False


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
    # Whether the number's state moved (a STOP from a number already opted out is audited but
    # changes nothing, so the opt-out trigger does not fire for it). Rows older than the field: True.
    Changed: bool = True


# ---------------------------------------------------------------- requests

PHONE_TEXT = "The number: E.164 such as +14155550123, or a national number of your account's country."


def _kind() -> Any:
    return doc("Kind", "sms for texts without attachments, mms for texts with; empty for both.", None,
               visibility=ADVANCED, schema={"enum": [SMS, MMS]}, max_length=10)


def _page() -> tuple[Any, Any]:
    return (doc("Page Size", "At most this many items (1 to 500, default 100); the response then has NextLink when "
                             "there are more.", None, visibility=ADVANCED, ge=1, le=500),
            doc("Page Token", "The skiptoken of the previous page's NextLink; empty for the first page.", None,
                visibility=ADVANCED, max_length=200))


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
    FromNumber: str | None = from_number_field()
    Keyword: str | None = keyword_field()


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

class MediaItem(ResponseModel):
    model_config = INLINE
    Url: str = doc("Media Item URL", "The attachment's URL.")
    ContentType: str = doc("Media Item Type", "The attachment's type, such as image/png.")


class ReceivedText(ResponseModel):
    """A text a customer sent to your number."""

    # (The docstring is the definition's description.) What a flow usually needs — who, what, which
    # contact, attachments — is shown; the carrier's ids and statuses, the original trigger's
    # duplicates and the eight location fields are advanced: still there, under "See more".

    MessageId: str = doc("Message ID", "The id of the received text; the same text never comes twice with another "
                                       "id, so use it to skip a text already handled.")
    ReceivedAt: UtcTime = doc("Received At", "When the text arrived (UTC).")
    MessageSid: str = doc("Message SID", "The carrier's id of the received message.", visibility=ADVANCED)
    SmsSid: str = doc("SMS SID", "The carrier's id of the received message, the same as Message SID.",
                      visibility=ADVANCED)
    AccountSid: str = doc("Twilio Account SID", "The Twilio account that received it.", visibility=ADVANCED)
    MessagingServiceSid: str = doc("Messaging Service SID", "The Twilio Messaging Service, if any.",
                                   visibility=ADVANCED)
    From: str = doc("Sender Number", "The sender's number in E.164, such as +14155550123.")
    To: str = doc("Your Number", "Your number that received the text.")
    Body: str = doc("Message Text", "The text the customer sent.")
    MessageStatus: str = doc("Message Status", "The carrier's status of the text: received.", visibility=ADVANCED)
    OptOutType: str = doc("Carrier Opt Out Type", "STOP, START or HELP when the carrier itself handled a keyword; "
                                                  "empty otherwise (Keyword says the same for every text).",
                          visibility=ADVANCED)
    NumMedia: int = doc("Number of Attachments", "How many attachments came with the text (0 for an SMS).")
    NumSegments: int = doc("Number of Segments", "How many segments the text took.", visibility=ADVANCED)
    ReferralNumMedia: int = doc("Referral Number of Media", "Attachments of a referral message, as the carrier "
                                                            "reports them.", visibility=ADVANCED)
    mediaURL: str = doc("First Attachment URL", "The first attachment's URL; empty for an SMS.")
    contentType: str = doc("First Attachment Type", "The first attachment's type, such as image/jpeg.")
    Media: list[MediaItem] = doc("Attachments", "Every attachment, in order.")
    ContactId: str = doc("Sender Contact ID", "The sender's contact id when the number is in your address book; "
                                              "empty otherwise.")
    ContactName: str = doc("Sender Name", "The sender's name when the number is a contact; empty otherwise.")
    Keyword: str = doc("Keyword", "STOP, START, HELP or a synonym when the text was one (already handled: the number "
                                  "is opted out or in); empty otherwise.")
    FromCity: str = doc("Sender City", "The sender's city, when the carrier knows it.", visibility=ADVANCED)
    FromState: str = doc("Sender State", "The sender's state or province, when known.", visibility=ADVANCED)
    FromZip: str = doc("Sender Postal Code", "The sender's postal code, when known.", visibility=ADVANCED)
    FromCountry: str = doc("Sender Country", "The sender's country, when known.", visibility=ADVANCED)
    ToCity: str = doc("Your Number's City", "The city of your number, when known.", visibility=ADVANCED)
    ToState: str = doc("Your Number's State", "The state or province of your number, when known.",
                       visibility=ADVANCED)
    ToZip: str = doc("Your Number's Postal Code", "The postal code of your number, when known.", visibility=ADVANCED)
    ToCountry: str = doc("Your Number's Country", "The country of your number, when known.", visibility=ADVANCED)


class ReceivedTextEvent(ReceivedText):
    """What the SMS and MMS triggers post to the flow (documents ``inbound.receive.payload_of``)."""

    EventType: str = doc("Event Type", "Always message.received.", visibility=ADVANCED)


class OptOutState(ResponseModel):
    """Whether a number may be texted."""

    Phone: str = doc("Phone", "The number in E.164.")
    OptedOut: bool = doc("Opted Out", "True when the number must not be texted.")
    Keyword: str = doc("Keyword", "The keyword that changed the state, such as STOP; empty for a change by hand.")
    Source: str = doc("Source", "keyword, twilio or manual; empty when the number never opted out.")
    ChangedAt: UtcTime | None = doc("Changed At", "When the state last changed (UTC); empty if it never did.")
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


class OptOutChangeEvent(ResponseModel):
    """What the opt-out trigger posts to the flow (made by ``inbound.optouts.change_payload``)."""

    EventType: str = doc("Event Type", "Always optout.changed.")
    Phone: str = doc("Phone Number", "The number that opted out or back in, in E.164 such as +14155550123.")
    ContactId: str = doc("Contact ID", "The number's contact id when it is in your address book; empty otherwise.")
    ContactName: str = doc("Contact Name", "The contact's name when the number is a contact; empty otherwise.")
    Keyword: str = doc("Keyword", "The word the customer texted, such as STOP or START; empty for a change by hand.")
    Direction: str = doc("Direction", "opted_out when the number may no longer be texted, opted_in when it may be "
                                      "texted again.", schema={"enum": [OPTED_OUT, OPTED_IN]})
    Source: str = doc("Source", "keyword when the customer texted a keyword, twilio when Twilio's own opt-out "
                                "handling recorded it, manual for a change by hand.",
                      schema={"enum": [SOURCE_KEYWORD, SOURCE_TWILIO, SOURCE_MANUAL]})
    ChangedAt: UtcTime = doc("Changed At", "When the number opted out or back in (UTC).")


class OptOutCheck(OptOutState):
    """A number's opt-out state and history."""

    History: list[OptOutEventOut] = doc("History", "The latest changes, newest first.")


# ---------------------------------------------------------------- queue message

class InboundQueueMessage(QueueMessage):
    """A received text whose Twilio signature was checked: account ``a``, every form field
    Twilio sent (``p``, unknown ones too), and when the webhook took it (``r``, ISO 8601)."""

    QUEUE: ClassVar[str] = INBOUND_QUEUE
    account_id: str = Field(alias="a", min_length=1)
    params: dict[str, str] = Field(alias="p")
    received_at: str = Field(default="", alias="r")


class InboundGroupMessage(QueueMessage):
    """Texts the webhook took together (``t``, each an ``InboundQueueMessage``): one queue
    message and one storage transaction for all of them."""

    QUEUE: ClassVar[str] = INBOUND_QUEUE
    texts: list[InboundQueueMessage] = Field(alias="t", min_length=1)


def _inbound_kind(doc: Any) -> str:
    """A group carries ``t``; anything else is read as one text (the format before groups)."""
    return "group" if (isinstance(doc, dict) and "t" in doc) or isinstance(doc, InboundGroupMessage) else "text"


class InboundQueueBody(QueueChoice[Annotated[Annotated[InboundGroupMessage, Tag("group")]
                                             | Annotated[InboundQueueMessage, Tag("text")],
                                             Discriminator(_inbound_kind)]]):
    """What the inbound queue carries: a group of texts, or one text (messages queued before
    groups existed, and the webhook's lone texts)."""

    QUEUE: ClassVar[str] = INBOUND_QUEUE
