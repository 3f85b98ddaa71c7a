"""Accounts (one business each) and their API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import ConfigDict

from ..common.fields import doc
from ..common.models import EntityModel, RequestModel, ResponseModel, UtcTime

DEFAULT_OPT_OUT_TEXT = "Reply STOP to opt out"
DEFAULT_HELP_TEXT = "Reply STOP to unsubscribe. Msg&data rates may apply."
DEFAULT_STOP_REPLY = "You have been unsubscribed and will receive no more messages from us. Reply START to resubscribe."
DEFAULT_START_REPLY = "You have been resubscribed and will receive messages from us again. Reply STOP to unsubscribe."
KEY_VALIDITY_DAYS = (30, 60, 90, 180, 365, 0)  # 0 = never expires
MAX_ADMINS = 50  # people who may administer one account
MAX_EMAIL_CHARS = 254  # RFC 5321's limit on a forward path
PORTAL_KEY_ID = "portal"  # the KeyId of a signed-in portal user's Caller (no API key is involved)
# Quiet hours: marketing texts go out only inside this window of the recipient's local time
# (US TCPA: 8:00 to 21:00); on for every account unless it turns them off.
DEFAULT_QUIET_HOURS_START = "08:00"
DEFAULT_QUIET_HOURS_END = "21:00"
MAX_WINDOW_TIME_CHARS = 16  # a quiet-hours bound as typed (HH:MM; longer is a mistake, shown cut)


class Account(EntityModel):
    AccountId: str
    Name: str
    Phone: str
    Region: str = "US"
    TimeZone: str = "UTC"
    OptOutText: str = DEFAULT_OPT_OUT_TEXT
    HelpText: str = DEFAULT_HELP_TEXT
    StopReplyText: str = DEFAULT_STOP_REPLY    # confirmation of STOP (unless Twilio replied)
    StartReplyText: str = DEFAULT_START_REPLY  # confirmation of START
    MessagingServiceSid: str = ""
    # The sending window for marketing texts, HH:MM in the recipient's local time (an end
    # before the start spans midnight); rows written before it existed get the default, on.
    QuietHoursEnabled: bool = True
    QuietHoursStart: str = DEFAULT_QUIET_HOURS_START
    QuietHoursEnd: str = DEFAULT_QUIET_HOURS_END
    Admins: list[str] = []  # sign-in emails, lower case; the source of truth (AccountAdmins is its index)
    CreatedAt: datetime


class ApiKey(EntityModel):
    KeyId: str
    AccountId: str
    Name: str
    SecretHash: str
    Days: int
    CreatedAt: datetime
    ExpiresAt: datetime | None = None
    RevokedAt: datetime | None = None
    LastUsedAt: datetime | None = None

    def public(self) -> dict[str, object]:
        """What may be shown about a key: never its hash."""
        from ..common.clock import iso

        return {"KeyId": self.KeyId, "AccountId": self.AccountId, "Name": self.Name,
                "Days": self.Days, "CreatedAt": iso(self.CreatedAt), "ExpiresAt": iso(self.ExpiresAt),
                "RevokedAt": iso(self.RevokedAt), "LastUsedAt": iso(self.LastUsedAt)}


@dataclass(frozen=True)
class Caller:
    """Who is calling: the account every read and write is scoped to, and the key used."""

    account: Account
    key: ApiKey

    @property
    def account_id(self) -> str:
        return self.account.AccountId

    @classmethod
    def signed_in(cls, account: Account, email: str) -> "Caller":
        """A portal user acting on an account they administer. The services record who acted
        as ``caller.key.Name`` (a campaign's CreatedBy, an opt-out's ChangedBy): for a person
        that is their sign-in email, under a key id that no API key can have."""
        key = ApiKey(KeyId=PORTAL_KEY_ID, AccountId=account.AccountId, Name=email, SecretHash="", Days=0,
                     CreatedAt=account.CreatedAt)
        return cls(account=account, key=key)


class QuietHoursBody(RequestModel):
    """The quiet-hours setting; an empty field keeps its value."""

    Enabled: bool | None = doc("Quiet Hours On", "Yes holds marketing texts outside the window until it opens; No "
                               "sends them whatever the recipient's local time.", None)
    Start: str | None = doc("Window Start", "When texts may start going out, in the recipient's local time, HH:MM "
                            "(24-hour) such as 08:00.", None, max_length=MAX_WINDOW_TIME_CHARS)
    End: str | None = doc("Window End", "When texts stop going out, in the recipient's local time, HH:MM (24-hour) "
                          "such as 21:00; an end before the start spans midnight.", None,
                          max_length=MAX_WINDOW_TIME_CHARS)


class QuietHoursOut(ResponseModel):
    """The account's quiet hours: the window of the recipient's local time marketing texts go out in."""

    model_config = ConfigDict(title="QuietHours")
    Enabled: bool = doc("Quiet Hours On", "True: marketing texts outside the window wait until it opens.")
    Start: str = doc("Window Start", "When texts may start going out, recipient's local time (HH:MM).")
    End: str = doc("Window End", "When texts stop going out, recipient's local time (HH:MM).")
    TimeZone: str = doc("Fallback Time Zone", "The account's time zone: used for numbers whose time zone is not "
                                              "known from the number (several zones, toll-free).")

    @classmethod
    def of(cls, account: Account) -> "QuietHoursOut":
        return cls(Enabled=account.QuietHoursEnabled, Start=account.QuietHoursStart, End=account.QuietHoursEnd,
                   TimeZone=account.TimeZone)


class AccountOut(ResponseModel):
    """The account and API key of the connection."""

    model_config = ConfigDict(title="Account")
    AccountId: str = doc("Account ID", "Your account's id.")
    Name: str = doc("Business Name", "Your business's name.")
    Phone: str = doc("Business Number", "The number your texts come from.")
    Region: str = doc("Region", "The country used for numbers written without a country code.")
    TimeZone: str = doc("Time Zone", "Your account's time zone.")
    KeyId: str = doc("API Key ID", "The id of the API key of this connection.")
    KeyName: str = doc("API Key Name", "The name of the API key of this connection.")
    KeyExpiresAt: UtcTime | None = doc("API Key Expires At", "When the key expires (UTC); empty if it never does.")
    KeyCreatedAt: UtcTime = doc("API Key Created At", "When the key was made (UTC).")

    @classmethod
    def of(cls, account: Account, key: ApiKey) -> "AccountOut":
        return cls(AccountId=account.AccountId, Name=account.Name, Phone=account.Phone, Region=account.Region,
                   TimeZone=account.TimeZone, KeyId=key.KeyId, KeyName=key.Name, KeyExpiresAt=key.ExpiresAt,
                   KeyCreatedAt=key.CreatedAt)
