"""One conversation per customer number per account: every text sent to it (any campaign or
action) and received from it, and the thread's summary (last text, unread count) the inbox
lists."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ..common.models import EntityModel

IN, OUT = "in", "out"           # a text's direction, as stored
FAILED = "failed"               # a sent text the provider refused (the recipients' status of the same name)
MAX_PREVIEW_CHARS = 160         # the last text as the inbox shows it
THREAD_PAGE = 50                # texts a thread page shows (the newest)
INBOX_PAGE = 50                 # threads an inbox page lists


class ConversationText(EntityModel):
    """One text of a thread. ``MessageId`` is the text's own id (the received text's, or the
    campaign's for a sent one: a campaign texts a number once), so writing it again after a
    retried queue message lands on the same row."""

    Number: str
    Direction: str
    Body: str = ""
    At: datetime
    MessageId: str
    CampaignId: str = ""
    Status: str = ""            # sent texts: the recipient's status when recorded (re-read while not final)
    ErrorCode: str = ""
    ErrorMessage: str = ""
    Media: list[dict[str, str]] = Field(default_factory=list)
    ContactName: str = ""
    Keyword: str = ""           # an automatic reply: the keyword (STOP, START, HELP) it answered


class ConversationThread(EntityModel):
    """A thread's summary row: what the inbox shows without reading the thread."""

    Number: str
    ContactName: str = ""
    LastAt: datetime
    LastBody: str = ""
    LastDirection: str = OUT
    Unread: int = 0
