"""Schedules: the text formats makers type, the send window, and reminders before an event."""

from datetime import date, datetime, time, timedelta, timezone

import pytest

from shared_code.common.errors import Unprocessable, ValidationFailed
from shared_code.messaging.schedule import (check_window, parse_date, parse_instant, parse_time, reminder_times,
                                            resolve_send_time)

UTC = timezone.utc
NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- parse_date -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("12/01/2026", date(2026, 12, 1)),
    ("1/5/2026", date(2026, 1, 5)),
    ("12/01/26", date(2026, 12, 1)),
    ("01/02/03", date(2003, 1, 2)),
    ("2026-12-01", date(2026, 12, 1)),
    ("  2026-12-01 ", date(2026, 12, 1)),
    ("2026-12-01T00:00:00Z", date(2026, 12, 1)),
    ("2026-12-01T23:59:59.0000000", date(2026, 12, 1)),
    ("2026-12-01T23:59:59.1234567Z", date(2026, 12, 1)),
    ("2026-12-01T10:00:00+02:00", date(2026, 12, 1)),
    ("02/29/2028", date(2028, 2, 29)),
])
def test_parse_date_accepts_the_typed_formats(value, expected):
    assert parse_date(value, "ScheduledDate") == expected


@pytest.mark.parametrize("value", [
    "02/30/2026", "02/29/2026", "13/01/2026", "00/10/2026", "2026-13-01", "2026-02-30",
    "12-01-2026", "2026/12/01", "tomorrow", "", "   ", "12/01/2026 09:00", "12/01/026",
    "2026-12-01Tgarbage", "１２/０１/２０２６",
])
def test_parse_date_rejects_with_field_value_and_formats(value):
    with pytest.raises(ValidationFailed) as err:
        parse_date(value, "ScheduledDate")
    e = err.value
    assert (e.status, e.code, e.field) == (400, "InvalidDate", "ScheduledDate")
    assert "ScheduledDate" in e.message
    assert "MM/DD/YYYY" in e.message and "12/01/2026" in e.message and "YYYY-MM-DD" in e.message
    if value.strip():
        assert value.strip() in e.message


# --- parse_time -------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("9:05 pm", time(21, 5)),
    ("09:05PM", time(21, 5)),
    ("9:05 AM", time(9, 5)),
    ("9:05am", time(9, 5)),
    ("12:00 AM", time(0, 0)),
    ("12:30 am", time(0, 30)),
    ("12:00 PM", time(12, 0)),
    ("11:59:30 PM", time(23, 59, 30)),
    ("21:05", time(21, 5)),
    ("0:00", time(0, 0)),
    ("00:00", time(0, 0)),
    ("23:59:59", time(23, 59, 59)),
    ("7:30", time(7, 30)),
])
def test_parse_time_accepts_12_and_24_hour(value, expected):
    assert parse_time(value, "ScheduledTime") == expected


@pytest.mark.parametrize("value", [
    "24:00", "13:00 PM", "0:30 AM", "9:60", "9:5", "12:00:60", "9 PM", "noon", "", "21.05",
    "9:05 XM",
])
def test_parse_time_rejects_with_formats(value):
    with pytest.raises(ValidationFailed) as err:
        parse_time(value, "ScheduledTime")
    e = err.value
    assert (e.status, e.code, e.field) == (400, "InvalidTime", "ScheduledTime")
    assert "ScheduledTime" in e.message and "AM/PM" in e.message and "HH:mm" in e.message


# --- parse_instant ----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("2026-12-01T15:30:00Z", utc(2026, 12, 1, 15, 30)),
    ("2026-12-01T15:30Z", utc(2026, 12, 1, 15, 30)),
    ("2026-12-01t15:30:00z", utc(2026, 12, 1, 15, 30)),
    ("2026-12-01T17:30:00+02:00", utc(2026, 12, 1, 15, 30)),
    ("2026-12-01T10:30:00-05:00", utc(2026, 12, 1, 15, 30)),
    ("2026-12-01T01:30:00+02:00", utc(2026, 11, 30, 23, 30)),
    ("2026-12-01T15:30:00.1234567Z", utc(2026, 12, 1, 15, 30, 0, 123456)),
    ("2026-12-01T15:30:00+0000", utc(2026, 12, 1, 15, 30)),
])
def test_parse_instant_returns_aware_utc(value, expected):
    got = parse_instant(value, "ScheduledAt")
    assert got == expected
    assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["2026-12-01T15:30:00", "2026-12-01T15:30:00.0000000"])
def test_parse_instant_requires_an_offset(value):
    with pytest.raises(ValidationFailed) as err:
        parse_instant(value, "ScheduledAt")
    e = err.value
    assert (e.code, e.field) == ("InvalidDateTime", "ScheduledAt")
    assert "offset" in e.message and "Z" in e.message and "hh:mm" in e.message


@pytest.mark.parametrize("value", [
    "2026-02-30T10:00:00Z", "2026-12-01", "12/01/2026 10:00", "2026-12-01T25:00:00Z",
    "2026-12-01T10:00:00+24:00", "2026-12-01T10:00:00+02:60", "soon", "",
])
def test_parse_instant_rejects_garbage(value):
    with pytest.raises(ValidationFailed) as err:
        parse_instant(value, "ScheduledAt")
    assert (err.value.code, err.value.field) == ("InvalidDateTime", "ScheduledAt")
    assert "2026-12-01T15:30:00Z" in err.value.message


# --- check_window -----------------------------------------------------------------------------

def test_future_time_is_returned_in_utc():
    when = datetime(2026, 11, 2, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    got = check_window(when, NOW, "ScheduledAt")
    assert got == utc(2026, 11, 2, 12, 0) and got.tzinfo == UTC


@pytest.mark.parametrize("seconds_ago", [0, 1, 59, 60])
def test_up_to_60_seconds_ago_means_now(seconds_ago):
    assert check_window(NOW - timedelta(seconds=seconds_ago), NOW, "ScheduledAt") == NOW


@pytest.mark.parametrize("seconds_ago", [61, 3600, 86400 * 30])
def test_more_than_60_seconds_ago_is_422(seconds_ago):
    with pytest.raises(Unprocessable) as err:
        check_window(NOW - timedelta(seconds=seconds_ago), NOW, "ScheduledAt")
    e = err.value
    assert (e.status, e.code, e.field) == (422, "ScheduleInPast", "ScheduledAt")
    assert "2026-11-01T12:00Z" in e.message  # now, in UTC ISO form


def test_past_message_gives_the_time_in_utc_iso():
    with pytest.raises(Unprocessable) as err:
        check_window(utc(2026, 10, 31, 9, 15), NOW, "ScheduledAt")
    assert "2026-10-31T09:15Z" in err.value.message


def test_366_days_ahead_is_the_limit():
    assert check_window(NOW + timedelta(days=366), NOW, "ScheduledAt") == NOW + timedelta(days=366)
    with pytest.raises(Unprocessable) as err:
        check_window(NOW + timedelta(days=366, seconds=1), NOW, "ScheduledAt")
    assert (err.value.code, err.value.field) == ("ScheduleTooFar", "ScheduledAt")
    assert "366" in err.value.message


# --- resolve_send_time ------------------------------------------------------------------------

def resolve(**kw):
    args = {"now": NOW, "scheduled_at": None, "scheduled_date": None, "scheduled_time": None}
    return resolve_send_time(**{**args, **kw})


def test_nothing_given_means_send_now():
    assert resolve() is None
    assert resolve(scheduled_at="", scheduled_date=" ", scheduled_time="") is None


def test_scheduled_at_with_offset_converts_to_utc():
    got = resolve(scheduled_at="2026-12-01T17:30:00+02:00")
    assert got == utc(2026, 12, 1, 15, 30) and got.utcoffset() == timedelta(0)


def test_scheduled_at_wins_over_date_and_time():
    got = resolve(scheduled_at="2026-12-01T15:30:00Z", scheduled_date="not a date",
                  scheduled_time="09:00")
    assert got == utc(2026, 12, 1, 15, 30)


def test_date_and_time_are_utc():
    assert resolve(scheduled_date="12/01/2026", scheduled_time="9:05 PM") == utc(2026, 12, 1, 21, 5)
    assert resolve(scheduled_date="2026-12-01", scheduled_time="21:05:30") == \
        utc(2026, 12, 1, 21, 5, 30)


def test_date_without_time_names_the_time_field():
    with pytest.raises(ValidationFailed) as err:
        resolve(scheduled_date="12/01/2026")
    assert (err.value.status, err.value.code, err.value.field) == (
        400, "ScheduleIncomplete", "ScheduledTime")
    assert "ScheduledTime" in err.value.message


def test_time_without_date_names_the_date_field():
    with pytest.raises(ValidationFailed) as err:
        resolve(scheduled_time="09:00", scheduled_date="")
    assert (err.value.code, err.value.field) == ("ScheduleIncomplete", "ScheduledDate")


def test_custom_field_names_are_used():
    with pytest.raises(ValidationFailed) as err:
        resolve(scheduled_date="12/01/2026", time_field="SendTime")
    assert err.value.field == "SendTime"
    with pytest.raises(ValidationFailed) as err:
        resolve(scheduled_at="2026-12-01T15:30:00", at_field="When")
    assert (err.value.code, err.value.field) == ("InvalidDateTime", "When")


def test_bad_parts_report_their_own_field():
    with pytest.raises(ValidationFailed) as err:
        resolve(scheduled_date="02/30/2026", scheduled_time="09:00")
    assert (err.value.code, err.value.field) == ("InvalidDate", "ScheduledDate")
    with pytest.raises(ValidationFailed) as err:
        resolve(scheduled_date="12/01/2026", scheduled_time="25:00")
    assert (err.value.code, err.value.field) == ("InvalidTime", "ScheduledTime")


def test_resolved_times_are_window_checked():
    with pytest.raises(Unprocessable) as err:
        resolve(scheduled_at="2026-11-01T11:58:59Z")
    assert (err.value.code, err.value.field) == ("ScheduleInPast", "ScheduledAt")
    assert resolve(scheduled_at="2026-11-01T11:59:30Z") == NOW
    with pytest.raises(Unprocessable) as err:
        resolve(scheduled_date="10/31/2026", scheduled_time="09:00")
    assert (err.value.code, err.value.field) == ("ScheduleInPast", "ScheduledDate")
    assert "2026-10-31T09:00Z" in err.value.message
    with pytest.raises(Unprocessable) as err:
        resolve(scheduled_date="12/01/2027", scheduled_time="09:00")
    assert (err.value.code, err.value.field) == ("ScheduleTooFar", "ScheduledDate")


def test_leap_day_schedule():
    now = utc(2028, 2, 1)
    assert resolve(now=now, scheduled_date="02/29/2028", scheduled_time="08:00") == \
        utc(2028, 2, 29, 8)
    with pytest.raises(ValidationFailed) as err:
        resolve(now=now, scheduled_date="02/29/2027", scheduled_time="08:00")
    assert err.value.code == "InvalidDate"


# --- reminder_times ---------------------------------------------------------------------------

def test_single_reminder():
    assert reminder_times(now=NOW, event_date="12/01/2026", days_before=7, time="09:00") == [
        utc(2026, 11, 24, 9)]


def test_same_day_reminder():
    assert reminder_times(now=NOW, event_date="2026-12-01", days_before=0, time="9:00 AM") == [
        utc(2026, 12, 1, 9)]


def test_extra_offsets_are_deduplicated_and_sorted_earliest_first():
    got = reminder_times(now=NOW, event_date="12/01/2026", days_before=1, time="6:30 PM",
                         extra_days_before=[7, 0, 1, 7])
    assert got == [utc(2026, 11, 24, 18, 30), utc(2026, 11, 30, 18, 30), utc(2026, 12, 1, 18, 30)]
    assert all(t.tzinfo == UTC for t in got)


def test_reminder_across_a_leap_day():
    now = utc(2028, 1, 1)
    assert reminder_times(now=now, event_date="03/01/2028", days_before=1, time="10:00",
                          extra_days_before=[2]) == [utc(2028, 2, 28, 10), utc(2028, 2, 29, 10)]


@pytest.mark.parametrize("days", [-1, 366, 1000])
def test_days_before_out_of_range(days):
    with pytest.raises(ValidationFailed) as err:
        reminder_times(now=NOW, event_date="12/01/2026", days_before=days, time="09:00")
    assert (err.value.status, err.value.code, err.value.field) == (400, "InvalidDaysBefore", "Day")


def test_extra_days_out_of_range_blames_the_day_field():
    with pytest.raises(ValidationFailed) as err:
        reminder_times(now=NOW, event_date="12/01/2026", days_before=1, time="09:00",
                       extra_days_before=[400], day_field="DaysBefore")
    assert (err.value.code, err.value.field) == ("InvalidDaysBefore", "DaysBefore")


def test_365_days_before_is_allowed():
    now = utc(2026, 1, 1)
    assert reminder_times(now=now, event_date="01/01/2027", days_before=365, time="09:00") == [
        utc(2026, 1, 1, 9)]


def test_reminder_in_the_past_explains_the_computed_time():
    now = utc(2026, 11, 25)
    with pytest.raises(Unprocessable) as err:
        reminder_times(now=now, event_date="12/01/2026", days_before=1, time="09:00",
                       extra_days_before=[7])
    e = err.value
    assert (e.status, e.code, e.field) == (422, "ScheduleInPast", "Day")
    assert e.message.startswith(
        "A reminder 7 days before 12/01/2026 at 09:00 would be 2026-11-24T09:00Z,"
        " which is in the past")
    assert "fewer days" in e.message


def test_reminder_within_grace_goes_now():
    now = utc(2026, 11, 24, 9, 0, 45)
    assert reminder_times(now=now, event_date="12/01/2026", days_before=7, time="09:00") == [now]


def test_reminder_too_far_blames_the_date():
    with pytest.raises(Unprocessable) as err:
        reminder_times(now=NOW, event_date="12/01/2028", days_before=1, time="09:00",
                       date_field="When")
    assert (err.value.code, err.value.field) == ("ScheduleTooFar", "When")


def test_reminder_bad_inputs_use_their_fields():
    with pytest.raises(ValidationFailed) as err:
        reminder_times(now=NOW, event_date="13/45/2026", days_before=1, time="09:00")
    assert (err.value.code, err.value.field) == ("InvalidDate", "EventDate")
    with pytest.raises(ValidationFailed) as err:
        reminder_times(now=NOW, event_date="12/01/2026", days_before=1, time="nine")
    assert (err.value.code, err.value.field) == ("InvalidTime", "Time")


def test_reminder_before_year_one_is_in_the_past():
    with pytest.raises(Unprocessable) as err:
        reminder_times(now=NOW, event_date="0001-01-01", days_before=1, time="09:00")
    assert (err.value.code, err.value.field) == ("ScheduleInPast", "Day")
