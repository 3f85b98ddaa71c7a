"""Received texts, opt-outs and their audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from ..common.models import EntityModel, RequestModel
from ..common.queue_messages import QueueMessage
from ..common.storage.names import INBOUND_QUEUE

# keyword actions
OPT_OUT, OPT_IN, HELP = "optout", "optin", "help"



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


# ---------------------------------------------------------------- requests

class ReceivedQuery(RequestModel):
    From: str | None = Field(default=None, max_length=40)
    Kind: str | None = Field(default=None, max_length=10)
    top: int | None = Field(default=None, ge=1, le=500)
    skiptoken: str | None = Field(default=None, max_length=200)


class PollQuery(RequestModel):
    cursor: str | None = Field(default=None, max_length=200)
    Kind: str | None = Field(default=None, max_length=10)
    FromNumber: str | None = Field(default=None, max_length=40)
    Keyword: str | None = Field(default=None, max_length=40)


class OptOutBody(RequestModel):
    Phone: str = Field(min_length=1, max_length=40)
    Reason: str | None = Field(default=None, max_length=200)


class OptOutCheckQuery(RequestModel):
    Phone: str = Field(min_length=1, max_length=40)


class OptOutQuery(RequestModel):
    top: int | None = Field(default=None, ge=1, le=500)
    skiptoken: str | None = Field(default=None, max_length=200)


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
