"""Accounts: one per business, with the service number its texts come from and the people who
administer it (by sign-in email). The CLI, the portal and the API reach accounts only through
these functions, so each rule is written once."""

from __future__ import annotations

from collections.abc import Iterable

from ..common.clock import utcnow
from ..common.errors import ApiError, ConcurrentUpdate, Conflict, NotFound, Unprocessable, ValidationFailed
from ..common.ids import new_id
from ..common.storage.rows import StorageConflict, retry_on_conflict
from ..common.text.phones import to_e164
from .models import MAX_ADMINS, MAX_EMAIL_CHARS, MAX_WINDOW_TIME_CHARS, Account
from .storage import accounts_repo

MAX_ACCOUNT_NAME_CHARS = 100
MAX_OPT_OUT_TEXT_CHARS = 60  # appended to texts: short, or it costs every text a segment
MAX_HELP_TEXT_CHARS = 320  # the HELP reply: two GSM-7 segments


def check_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_ACCOUNT_NAME_CHARS:
        raise ValidationFailed(f"Name must be 1 to {MAX_ACCOUNT_NAME_CHARS} characters.", field="Name")
    return name


def check_region(region: str | None) -> str:
    import phonenumbers

    region = (region or "").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed(f"Region: '{region}' is not an ISO country code such as US or GB.", field="Region")
    return region


def check_time_zone(zone: str | None) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = (zone or "").strip()
    try:
        if not zone or zone != zone.strip("/") or ".." in zone:
            raise ValueError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValidationFailed(f"TimeZone: '{zone}' is not an IANA time zone such as America/New_York or UTC.",
                               field="TimeZone") from err
    return zone


def check_window_time(value: str | None, field: str) -> str:
    """A quiet-hours bound as HH:MM (24-hour; 8:00 is read as 08:00)."""
    text = (value or "").strip()
    hours, sep, minutes = text.partition(":")
    if sep and hours.isdigit() and minutes.isdigit() and len(hours) <= 2 and len(minutes) == 2 \
            and int(hours) < 24 and int(minutes) < 60:
        return f"{int(hours):02d}:{minutes}"
    raise ValidationFailed(f"{field}: '{text[:MAX_WINDOW_TIME_CHARS]}' is not a time of day as HH:MM (24-hour), "
                           "such as 08:00 or 21:00.", field=field)


def check_quiet_hours(enabled: bool, start: str | None, end: str | None,
                      fields: tuple[str, str] = ("Start", "End")) -> tuple[bool, str, str]:
    start_at, end_at = check_window_time(start, fields[0]), check_window_time(end, fields[1])
    if start_at == end_at:
        raise ValidationFailed(f"{fields[1]}: the window must not be empty; give an end other than its start "
                               f"({start_at}), or turn quiet hours off.", field=fields[1])
    return enabled, start_at, end_at


def set_quiet_hours(account_id: str, *, enabled: bool | None = None, start: str | None = None,
                    end: str | None = None) -> Account:
    """Change the account's quiet hours; a value not given keeps the current one."""
    repo = accounts_repo()

    def attempt() -> Account:
        account = get_account(account_id)
        on, first, last = check_quiet_hours(account.QuietHoursEnabled if enabled is None else enabled,
                                            start if start else account.QuietHoursStart,
                                            end if end else account.QuietHoursEnd)
        account.QuietHoursEnabled, account.QuietHoursStart, account.QuietHoursEnd = on, first, last
        repo.replace(account)
        return account

    return retry_on_conflict(attempt, gave_up=ConcurrentUpdate("The account kept changing; try again."))


def check_email(email: str | None, field: str = "Email") -> str:
    email = (email or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > MAX_EMAIL_CHARS or any(c.isspace() for c in email) \
            or domain.startswith(".") or domain.endswith("."):
        raise ValidationFailed(f"{field}: '{email}' is not an email address such as ada@example.com.", field=field)
    return email


def _check_text(value: str | None, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise ValidationFailed(f"{field} must be 1 to {limit} characters.", field=field)
    return value


def create_account(name: str, phone: str, region: str = "US", *, time_zone: str = "UTC",
                   admins: Iterable[str] = ()) -> Account:
    """A new business account; ``admins`` (emails) may administer it in the portal."""
    name, region = check_name(name), check_region(region)
    zone = check_time_zone(time_zone)
    emails = list(dict.fromkeys(check_email(e, "Admin") for e in admins))
    account = Account(AccountId=new_id(), Name=name, Phone=to_e164(phone, region=region, field="Phone"),
                      Region=region, TimeZone=zone, Admins=emails, CreatedAt=utcnow())
    try:
        accounts_repo().create(account)
    except StorageConflict as err:
        raise Conflict(f"The number {account.Phone} already belongs to an account.",
                       code="PhoneInUse", field="Phone") from err
    return account


def may_create_accounts(email: str) -> bool:
    """Who may create a business's account in the portal: anyone signed in when no first admin
    is configured (a local run), else the first admin (the deployer, PORTAL_FIRST_ADMIN) and
    whoever already administers an account. Everyone else waits to be added by an admin."""
    from ..common.config import get_settings

    first = get_settings().portal_first_admin.strip().lower()
    email = (email or "").strip().lower()
    return not first or email == first or bool(accounts_for(email))


def get_account(account_id: str) -> Account:
    account = accounts_repo().get(account_id)
    if account is None:
        raise NotFound(f"No account {account_id}.", code="AccountNotFound")
    return account


def accounts_for(email: str) -> list[Account]:
    """The accounts ``email`` administers, by name: one index query, then each account (whose
    own Admins list decides, so an index row a crash left behind grants nothing)."""
    email = (email or "").strip().lower()
    repo = accounts_repo()
    found = [a for a in (repo.get(i) for i in repo.account_ids_for(email)) if a and email in a.Admins]
    return sorted(found, key=lambda a: (a.Name.lower(), a.AccountId))


def administered(email: str, account_id: str) -> Account:
    """The account, if ``email`` administers it; otherwise the same 404 as an unknown id, so a
    user cannot tell other businesses' accounts exist."""
    account = accounts_repo().get(account_id) if account_id else None
    if account is None or (email or "").strip().lower() not in account.Admins:
        raise NotFound(f"No account {account_id}.", code="AccountNotFound")
    return account


def add_admin(account_id: str, email: str) -> Account:
    """Let ``email`` administer the account (already one: nothing changes)."""
    email = check_email(email)
    repo = accounts_repo()

    def attempt() -> Account:
        account = get_account(account_id)
        if email in account.Admins:
            return account
        if len(account.Admins) >= MAX_ADMINS:
            raise Unprocessable(f"An account has at most {MAX_ADMINS} admins.", code="TooManyAdmins", field="Email")
        repo.index_admin(email, account_id)  # the index first: a crash leaves a row that grants nothing
        account.Admins = [*account.Admins, email]
        repo.replace(account)
        return account

    return retry_on_conflict(attempt, gave_up=ConcurrentUpdate("The account kept changing; try again."))


def remove_admin(account_id: str, email: str) -> Account:
    """Stop ``email`` administering the account; the last admin cannot be removed (nobody could
    reach the account in the portal any more)."""
    email = (email or "").strip().lower()
    repo = accounts_repo()

    def attempt() -> Account:
        account = get_account(account_id)
        if email not in account.Admins:
            raise NotFound(f"{email} is not an admin of this account.", code="AdminNotFound", field="Email")
        if len(account.Admins) == 1:
            raise Unprocessable("This is the account's only admin: add another admin before removing this one.",
                                code="LastAdmin", field="Email")
        account.Admins = [a for a in account.Admins if a != email]
        repo.replace(account)
        return account

    account = retry_on_conflict(attempt, gave_up=ConcurrentUpdate("The account kept changing; try again."))
    repo.unindex_admin(email, account_id)
    return account


def update_settings(account_id: str, *, name: str, phone: str, time_zone: str, opt_out_text: str,
                    help_text: str, quiet_hours: tuple[bool, str, str] | None = None) -> Account:
    """Change what the business shows and replies: its name, number, time zone, the opt-out
    line appended to texts and the HELP reply, and (when given: on, start, end) its quiet hours.
    A new number is claimed before the account moves to it (a number belongs to one account)
    and the old one released after."""
    name, zone = check_name(name), check_time_zone(time_zone)
    opt_out = _check_text(opt_out_text, "OptOutText", MAX_OPT_OUT_TEXT_CHARS)
    help_reply = _check_text(help_text, "HelpText", MAX_HELP_TEXT_CHARS)
    quiet = check_quiet_hours(*quiet_hours, fields=("QuietHoursStart", "QuietHoursEnd")) if quiet_hours else None
    repo = accounts_repo()
    current = get_account(account_id)
    new_phone = to_e164(phone, region=current.Region, field="Phone")
    if new_phone != current.Phone:
        try:
            repo.claim_number(new_phone, account_id)
        except StorageConflict as err:
            raise Conflict(f"The number {new_phone} already belongs to an account.",
                           code="PhoneInUse", field="Phone") from err
    old: list[str] = []

    def attempt() -> Account:
        account = get_account(account_id)
        old[:] = [account.Phone]
        account.Name, account.Phone, account.TimeZone = name, new_phone, zone
        account.OptOutText, account.HelpText = opt_out, help_reply
        if quiet:
            account.QuietHoursEnabled, account.QuietHoursStart, account.QuietHoursEnd = quiet
        repo.replace(account)
        return account

    try:
        account = retry_on_conflict(attempt, gave_up=ConcurrentUpdate("The account kept changing; try again."))
    except ApiError:
        if new_phone != current.Phone:
            repo.release_number(new_phone, account_id)
        raise
    if old and old[0] != new_phone:
        repo.release_number(old[0], account_id)
    return account
