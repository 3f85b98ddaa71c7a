"""TwilioProvider against FakeTwilio through the real twilio-python client."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from shared_code.common.sms.base import ProviderError
from tests.sms.helpers import MG_SID, SENDER, TO, msg

ROOT = Path(__file__).resolve().parents[2]


def now() -> datetime:
    return datetime.now(timezone.utc)


# -- what goes out ------------------------------------------------------------------------

def test_send_from_number(provider, fake):
    result = provider.send(msg(body="Your order is ready"))
    assert re.fullmatch(r"SM[0-9a-f]{32}", result.sid)
    assert (result.status, result.segments) == ("queued", 1)
    [sent] = fake.messages
    assert (sent.sid, sent.to, sent["from"], sent.messaging_service_sid, sent.body) == (
        result.sid, TO, SENDER, None, "Your order is ready")
    assert sent.media_urls == () and sent.status_callback is None


def test_messaging_service_wins_over_from_number(provider, fake):
    result = provider.send(msg(messaging_service_sid=MG_SID))
    [sent] = fake.messages
    assert sent.messaging_service_sid == MG_SID and sent.from_ is None
    assert result.status == "accepted"   # Twilio's first status for messaging-service sends
    assert "From" not in fake.attempts[0].params


def test_default_messaging_service_only_when_message_has_no_sender(make_provider, fake):
    provider = make_provider(twilio_messaging_service_sid=MG_SID)
    provider.send(msg())                       # the account's own number still wins
    provider.send(msg(from_number=None))       # no number: the deployment's service
    first, second = fake.messages
    assert (first.from_, first.messaging_service_sid) == (SENDER, None)
    assert (second.from_, second.messaging_service_sid) == (None, MG_SID)


def test_no_sender_at_all_is_permanent(provider, fake):
    with pytest.raises(ProviderError) as info:
        provider.send(msg(from_number=None))
    assert info.value.transient is False and fake.attempts == []


def test_media_urls_and_status_callback_are_passed(provider, fake):
    media = ("https://cdn.example.com/a.jpg", "https://cdn.example.com/b.png")
    callback = "https://api.example.com/api/twilio/status?account=acc1&sig=x%2By"
    provider.send(msg(media_urls=media, status_callback=callback))
    [sent] = fake.messages
    assert sent.media_urls == media
    assert sent.status_callback == callback


def test_segments_reported(provider):
    assert provider.send(msg(body="x" * 161)).segments == 2


# -- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [21211, 21610, 21614, 21408])
def test_permanent_number_errors(provider, fake, code):
    fake.permanent[TO] = code
    with pytest.raises(ProviderError) as info:
        provider.send(msg())
    err = info.value
    assert (err.transient, err.code, err.status, err.uncertain) == (False, code, 400, False)
    assert fake.messages == []
    assert TO not in err.message        # phone numbers are masked in the stored message


def test_invalid_number_message_is_twilios(provider, fake):
    fake.permanent[TO] = 21211
    with pytest.raises(ProviderError) as info:
        provider.send(msg())
    assert "is not a valid phone number" in info.value.message
    assert "+1555***0001" in info.value.message


def test_unsubscribe_and_landline_helpers(provider, fake):
    fake.unsubscribe("+15551230002")
    fake.landline("+15551230003")
    codes = []
    for to in ("+15551230002", "+15551230003"):
        with pytest.raises(ProviderError) as info:
            provider.send(msg(to=to))
        codes.append(info.value.code)
    assert codes == [21610, 21614]


def test_rate_limit_is_transient(provider, fake):
    fake.capacity = 1        # one token, refilled once a second
    provider.send(msg())
    with pytest.raises(ProviderError) as info:
        provider.send(msg())
    err = info.value
    assert (err.transient, err.code, err.status, err.uncertain) == (True, 20429, 429, False)
    assert len(fake.messages) == 1
    assert [a.outcome for a in fake.attempts] == ["created", "429"]


def test_server_error_is_transient_and_uncertain(provider, fake):
    fake.fail_rate, fake.fail_kinds = 1.0, ("500",)
    with pytest.raises(ProviderError) as info:
        provider.send(msg())
    err = info.value
    assert (err.transient, err.status, err.uncertain) == (True, 500, True)
    assert fake.messages == []


def test_injected_429_kind(provider, fake):
    fake.fail_rate, fake.fail_kinds = 1.0, ("429",)
    with pytest.raises(ProviderError) as info:
        provider.send(msg())
    assert (info.value.transient, info.value.code) == (True, 20429)


def test_client_timeout_is_transient_and_not_recorded(make_provider, fake):
    provider = make_provider(sms_timeout_seconds=0.3)
    fake.fail_rate, fake.fail_kinds = 1.0, ("timeout",)
    with pytest.raises(ProviderError) as info:
        provider.send(msg())
    assert (info.value.transient, info.value.uncertain, info.value.status) == (True, True, None)
    assert fake.messages == [] and [a.outcome for a in fake.attempts] == ["timeout"]


def test_wrong_token_is_permanent_and_never_echoed(make_provider, fake):
    wrong = "f" * 32
    provider = make_provider(twilio_auth_token=wrong)
    with pytest.raises(ProviderError) as info:
        provider.send(msg())
    err = info.value
    assert (err.transient, err.status, err.code) == (False, 401, 20003)
    assert wrong not in err.message and fake.auth_token not in err.message
    assert wrong not in repr(err)
    assert fake.messages == [] and fake.attempts[0].status == 401


def test_connection_refused_is_transient_and_certainly_not_sent(make_provider, fake):
    from devhost.azurite import free_port

    provider = make_provider(twilio_api_base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProviderError) as info:
        provider.send(msg())
    assert (info.value.transient, info.value.uncertain) == (True, False)


# -- crash recovery -----------------------------------------------------------------------

def test_find_sent_finds_message_accepted_then_stalled(make_provider, fake):
    provider = make_provider(sms_timeout_seconds=0.3)
    message = msg(body="Appointment tomorrow at 9")
    since = now()
    fake.fail_rate, fake.fail_kinds = 1.0, ("timeout_after_accept",)
    with pytest.raises(ProviderError) as info:
        provider.send(message)
    assert info.value.uncertain
    fake.fail_rate = 0.0
    found = provider.find_sent(message, since)
    [stored] = fake.messages
    assert found is not None and found.sid == stored.sid and found.status == "sent"


def test_find_sent_finds_a_message_still_queued_without_date_sent(provider, fake):
    fake.mark_sent = False
    message = msg(messaging_service_sid=MG_SID)
    since = now()
    sent = provider.send(message)
    found = provider.find_sent(message, since)
    assert found is not None and found.sid == sent.sid and found.status == "accepted"
    lists = [a.params for a in fake.attempts if a.method == "GET"]
    assert "DateSent>" in lists[0] and "DateSent>" not in lists[1]   # fell back to the newest


def test_find_sent_returns_newest_match_only_for_same_to_and_body(provider, fake):
    message = msg()
    since = now()
    provider.send(msg(body="something else"))
    provider.send(msg(to="+15551239999"))
    first = provider.send(message)
    second = provider.send(message)
    found = provider.find_sent(message, since)
    assert found is not None and found.sid == second.sid != first.sid
    assert provider.find_sent(msg(body="never sent"), since) is None
    assert provider.find_sent(msg(to="+15551238888"), since) is None


def test_find_sent_ignores_messages_before_since(provider, fake):
    message = msg()
    provider.send(message)
    assert provider.find_sent(message, now() + timedelta(seconds=30)) is None


def test_find_sent_filter_is_the_utc_day_of_the_look_back(provider, fake):
    """Twilio documents DateSent>= as day-granular in GMT: the filter names the UTC day on which
    the look-back starts (twilio-python writes a date as that midnight), and the exact instant is
    checked against date_created afterwards."""
    since = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone(timedelta(hours=2)))
    provider.find_sent(msg(), since)
    first = fake.attempts[0].params
    assert first["To"] == [TO]
    assert first["DateSent>"] == ["2030-01-02T00:00:00Z"]   # 01:04:00 UTC's day, not the local day


def test_find_sent_look_back_across_midnight_lists_the_day_before(provider, fake):
    """A first attempt at 23:59:58 UTC and a check from 00:00:02: the listing must include the
    day before, or the text sent just before midnight is missed and sent again."""
    since = datetime(2030, 1, 2, 0, 0, 2, tzinfo=timezone.utc)
    provider.find_sent(msg(), since)
    assert fake.attempts[0].params["DateSent>"] == ["2030-01-01T00:00:00Z"]


# -- process behaviour --------------------------------------------------------------------

def test_concurrent_sends_from_many_threads(provider, fake):
    fake.latency = 0.005
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(20):
                provider.send(msg(to=f"+1555123{n:02d}{i:02d}"))
        except BaseException as err:  # noqa: BLE001 - surfaced by the assert below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(fake.messages) == 160 and len({m.sid for m in fake.messages}) == 160
    assert set(fake.count_by_to().values()) == {1}


def test_logs_never_hold_token_or_full_numbers(make_provider, fake, caplog):
    caplog.set_level(logging.DEBUG)
    provider = make_provider()
    provider.send(msg())
    provider.find_sent(msg(), now() - timedelta(minutes=1))
    fake.permanent[TO] = 21211
    with pytest.raises(ProviderError):
        provider.send(msg())
    assert "+1555***0001" in caplog.text
    assert TO not in caplog.text and fake.auth_token not in caplog.text


def test_modules_do_not_import_sdks_at_import_time():
    code = ("import sys, shared_code.common.sms, shared_code.common.sms.twilio_provider, shared_code.common.sms.outbox,"
            " shared_code.common.sms.factory; "
            "print([m for m in ('twilio', 'requests', 'azure.data.tables', 'pydantic_settings')"
            " if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
