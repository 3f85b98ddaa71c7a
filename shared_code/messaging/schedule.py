"""When to send: parse the dates and times makers type, and keep schedules in a sane window.

Power Automate makers type dates and times as text (the original connector had string fields
``ScheduledDate`` ``MM/DD/YYYY`` and ``ScheduledTime`` ``hh:mm AM/PM``, both UTC), or wire in
an expression such as ``utcNow()``. So the parsers accept the handful of shapes people actually
use, and when they fail they say which field, what was given and what would work, because the
maker reads that message in a flow run's error pane, not in our logs.

Everything here is pure: the current time comes in as ``now`` (from the one clock in
``shared_code.common.clock``) so tests can pin it. All datetimes returned are timezone-aware UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from ..common.errors import Unprocessable, ValidationFailed

GRACE = timedelta(seconds=60)
"""A time this little in the past means "now": a flow that computes utcNow() and calls us a
few seconds later must not fail."""

MAX_AHEAD = timedelta(days=366)
"""Furthest schedule accepted: a year ahead, leap year included; beyond that it's a typo."""

MAX_DAYS_BEFORE = 365

DATE_FORMATS = "MM/DD/YYYY (12/01/2026), MM/DD/YY (12/01/26) or YYYY-MM-DD (2026-12-01)"
TIME_FORMATS = ("hh:mm AM/PM (9:05 PM), 24-hour HH:mm (21:05) or HH:mm:ss (21:05:30);"
                " times are UTC")
INSTANT_FORMATS = ("ISO 8601 with an offset, such as 2026-12-01T15:30:00Z"
                   " or 2026-12-01T17:30:00+02:00")

_US_DATE = re.compile(r"(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<y>[0-9]{4}|[0-9]{2})")
# YYYY-MM-DD, optionally followed by the time part of an ISO timestamp (utcNow() gives
# 2026-12-01T00:00:00.0000000Z); the time part is checked for shape and then ignored.
_ISO_DATE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?",
    re.IGNORECASE,
)
_TIME_12 = re.compile(
    r"(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?\s*(?P<ampm>AM|PM)", re.IGNORECASE
)
_TIME_24 = re.compile(r"(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?")
_INSTANT = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})[T ]"
    r"(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]+))?)?"
    r"(?P<tz>Z|(?P<sign>[+-])(?P<oh>[0-9]{2}):?(?P<om>[0-9]{2}))?",
    re.IGNORECASE,
)


def _shown(value: object) -> str:
    """The value as echoed in an error message: trimmed and cut short."""
    text = str(value).strip() if value is not None else ""
    return text if len(text) <= 40 else text[:40] + "…"


def _utc_text(dt: datetime) -> str:
    """Compact UTC ISO form for messages: 2026-11-24T09:00Z, seconds only when present."""
    dt = dt.astimezone(timezone.utc)
    if dt.second or dt.microsecond:
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.strftime("%Y-%m-%dT%H:%MZ")


def _as_utc(dt: datetime) -> datetime:
    """Aware UTC. A naive value is taken as UTC, the convention everywhere in this project."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _given(value: str | None) -> bool:
    """Power Automate sends "" for an optional field the maker cleared: that is not a value."""
    return value is not None and str(value).strip() != ""


def parse_date(value: str, field: str) -> date:
    """Parse a calendar date typed by a maker.

    Accepts ``MM/DD/YYYY``, ``MM/DD/YY`` (meaning 20YY), ``YYYY-MM-DD`` and an ISO timestamp
    whose date part is taken as written (so ``utcNow()`` can be passed straight in). Month and
    day may have one digit (``1/5/2026``) since that is how people type them.
    """
    text = value.strip() if isinstance(value, str) else ""
    parts: tuple[int, int, int] | None = None
    if match := _US_DATE.fullmatch(text):
        year = int(match["y"])
        parts = (2000 + year if len(match["y"]) == 2 else year, int(match["m"]), int(match["d"]))
    elif match := _ISO_DATE.fullmatch(text):
        parts = (int(match["y"]), int(match["m"]), int(match["d"]))
    if parts is not None:
        try:
            return date(*parts)
        except ValueError:
            raise ValidationFailed(
                f"{field}: '{_shown(value)}' is not a real date. Use {DATE_FORMATS}.",
                code="InvalidDate", field=field,
            ) from None
    what = f"'{_shown(value)}' is not a date" if text else "is empty"
    raise ValidationFailed(f"{field}: {what}. Use {DATE_FORMATS}.",
                           code="InvalidDate", field=field)


def parse_time(value: str, field: str) -> time:
    """Parse a time of day typed by a maker: 12-hour with AM/PM or 24-hour, seconds optional.

    ``12:xx AM`` is just after midnight and ``12:xx PM`` just after noon, as on any clock;
    an hour of 0 or above 12 with AM/PM is rejected rather than guessed.
    """
    text = value.strip() if isinstance(value, str) else ""
    hour = minute = second = -1
    if match := _TIME_12.fullmatch(text):
        hour12 = int(match["h"])
        if 1 <= hour12 <= 12:
            hour = hour12 % 12 + (12 if match["ampm"].upper() == "PM" else 0)
        minute, second = int(match["mi"]), int(match["s"] or 0)
    elif match := _TIME_24.fullmatch(text):
        hour, minute, second = int(match["h"]), int(match["mi"]), int(match["s"] or 0)
    if 0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59:
        return time(hour, minute, second)
    what = f"'{_shown(value)}' is not a time" if text else "is empty"
    raise ValidationFailed(f"{field}: {what}. Use {TIME_FORMATS}.",
                           code="InvalidTime", field=field)


def parse_instant(value: str, field: str) -> datetime:
    """Parse an exact moment (ISO 8601) and return it in UTC.

    An offset (``Z`` or ``±hh:mm``) is required: without one, ``2026-12-01T15:30:00`` could be
    any of 24+ moments, and guessing UTC would send at the wrong hour for most makers. Fractions
    of a second of any length are accepted (.NET prints seven digits) and cut to microseconds.
    """
    text = value.strip() if isinstance(value, str) else ""
    match = _INSTANT.fullmatch(text)
    if match and match["tz"] is None:
        raise ValidationFailed(
            f"{field}: '{_shown(value)}' has no time zone offset; add Z for UTC or ±hh:mm"
            f" (for example 2026-12-01T15:30:00Z or 2026-12-01T17:30:00+02:00).",
            code="InvalidDateTime", field=field,
        )
    if match:
        try:
            offset = timedelta(0)
            if match["sign"]:
                if int(match["om"]) > 59:
                    raise ValueError("offset minutes")
                offset = timedelta(hours=int(match["oh"]), minutes=int(match["om"]))
                offset = -offset if match["sign"] == "-" else offset
            local = datetime(
                int(match["y"]), int(match["mo"]), int(match["d"]),
                int(match["h"]), int(match["mi"]), int(match["s"] or 0),
                int((match["f"] or "0")[:6].ljust(6, "0")),
                tzinfo=timezone(offset),  # raises ValueError for |offset| >= 24 h
            )
            return local.astimezone(timezone.utc)
        except (ValueError, OverflowError):
            pass
    what = f"'{_shown(value)}' is not a valid date and time" if text else "is empty"
    raise ValidationFailed(f"{field}: {what}. Use {INSTANT_FORMATS}.",
                           code="InvalidDateTime", field=field)


def _check_window(when: datetime, now: datetime, *, past_field: str, far_field: str,
                  subject: str,
                  advice: str = "Give a future time, or leave the schedule empty to send now.",
                  ) -> datetime:
    """check_window with the message's subject and advice, and the blamed fields, chosen by
    the caller (a reminder explains itself differently from a plain schedule)."""
    when, now = _as_utc(when), _as_utc(now)
    if when < now - GRACE:
        raise Unprocessable(
            f"{subject} {_utc_text(when)}, which is in the past (it is now {_utc_text(now)})."
            f" {advice}",
            code="ScheduleInPast", field=past_field,
        )
    if when - now > MAX_AHEAD:
        raise Unprocessable(
            f"{subject} {_utc_text(when)}, which is more than {MAX_AHEAD.days} days ahead"
            f" (it is now {_utc_text(now)}). Schedule no more than {MAX_AHEAD.days} days ahead.",
            code="ScheduleTooFar", field=far_field,
        )
    return max(when, now)


def check_window(when: datetime, now: datetime, field: str) -> datetime:
    """Accept a send time from 60 s ago up to 366 days ahead; return when to send, in UTC.

    Up to 60 s in the past returns ``now`` (clock skew and flow latency, not a mistake); further
    in the past is a 422 rather than a silent immediate send, because a reminder that goes out
    late is worse than a flow run that fails and says why.
    """
    return _check_window(when, now, past_field=field, far_field=field,
                         subject=f"{field} is")


def resolve_send_time(*, now: datetime, scheduled_at: str | None, scheduled_date: str | None,
                      scheduled_time: str | None, date_field: str = "ScheduledDate",
                      time_field: str = "ScheduledTime",
                      at_field: str = "ScheduledAt") -> datetime | None:
    """Decide when a message goes out: None means send now.

    ``ScheduledAt`` (an exact ISO moment) wins when given, since it is unambiguous. Otherwise
    the legacy pair ``ScheduledDate`` + ``ScheduledTime`` (UTC, as the original connector
    documented) must come together: a date alone or a time alone is a 400 naming the missing
    one, rather than a guess at midnight or today. Blank strings count as not given.
    """
    if _given(scheduled_at):
        return check_window(parse_instant(str(scheduled_at), at_field), now, at_field)
    has_date, has_time = _given(scheduled_date), _given(scheduled_time)
    if not has_date and not has_time:
        return None
    if not has_time:
        raise ValidationFailed(
            f"{time_field} is required when {date_field} is given. Use {TIME_FORMATS}.",
            code="ScheduleIncomplete", field=time_field,
        )
    if not has_date:
        raise ValidationFailed(
            f"{date_field} is required when {time_field} is given. Use {DATE_FORMATS}.",
            code="ScheduleIncomplete", field=date_field,
        )
    day = parse_date(str(scheduled_date), date_field)
    at = parse_time(str(scheduled_time), time_field)
    when = datetime.combine(day, at, tzinfo=timezone.utc)
    return _check_window(
        when, now, past_field=date_field, far_field=date_field,
        subject=(f"{date_field} {_shown(scheduled_date)} at {time_field}"
                 f" {_shown(scheduled_time)} (UTC) is"),
    )


def reminder_times(*, now: datetime, event_date: str, days_before: int, time: str,
                   extra_days_before: list[int] | None = None, date_field: str = "EventDate",
                   time_field: str = "Time", day_field: str = "Day") -> list[datetime]:
    """The UTC moments at which reminders for an event go out, earliest first.

    One reminder per distinct offset in ``[days_before, *extra_days_before]``, each at
    (event date − offset days) at ``time`` UTC. Offsets must be 0..365. A reminder that would
    already be in the past is a 422 on ``day_field`` (the offset is what the maker should
    change) whose message spells out the computed moment; one too far ahead blames the date.
    """
    offsets = [days_before, *(extra_days_before or [])]
    for offset in offsets:
        if isinstance(offset, bool) or not isinstance(offset, int) \
                or not 0 <= offset <= MAX_DAYS_BEFORE:
            raise ValidationFailed(
                f"{day_field}: '{_shown(offset)}' is not a number of days from 0 to"
                f" {MAX_DAYS_BEFORE} (0 sends the reminder on the event day).",
                code="InvalidDaysBefore", field=day_field,
            )
    event_day = parse_date(event_date, date_field)
    at = parse_time(time, time_field)
    results: list[datetime] = []
    for offset in sorted(set(offsets), reverse=True):  # most days before = earliest
        when_text = "on the day of" if offset == 0 else \
            f"{offset} day{'s' if offset != 1 else ''} before"
        subject = (f"A reminder {when_text} {_shown(event_date)} at {_shown(time)}"
                   f" would be")
        try:
            when = datetime.combine(event_day - timedelta(days=offset), at, tzinfo=timezone.utc)
        except OverflowError:  # before year 1: certainly in the past
            raise Unprocessable(f"{subject} before the year 1, which is in the past.",
                                code="ScheduleInPast", field=day_field) from None
        results.append(_check_window(
            when, now, past_field=day_field, far_field=date_field, subject=subject,
            advice="Choose fewer days before, or check the event date and time (UTC).",
        ))
    return results
