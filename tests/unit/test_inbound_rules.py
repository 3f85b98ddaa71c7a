"""Pure rules of received texts: keyword matching, the SSRF guard's address rule, the
polling cursor's id arithmetic, media items."""

from __future__ import annotations

import pytest

from shared_code.triggers.callbacks import CallbackRefused, _allowed_ip, check_peer, check_url
from shared_code.inbound.keywords import classify
from shared_code.common.text.words import first_word


@pytest.mark.parametrize("body,expected", [
    ("STOP", ("STOP", "optout")), (" stop\n", ("STOP", "optout")), ("Unsubscribe", ("UNSUBSCRIBE", "optout")),
    ("stopall", ("STOPALL", "optout")), ("end", ("END", "optout")), ("Start", ("START", "optin")),
    ("yes", ("YES", "optin")), ("UNSTOP", ("UNSTOP", "optin")), ("help", ("HELP", "help")), ("Info", ("INFO", "help")),
    ("stop it", ("", "")), ("please stop", ("", "")), ("", ("", "")), (None, ("", "")),
    ("hello", ("", "")), ("stop sending me coupons please", ("", "")), ("...", ("", "")),
])
def test_keywords_are_the_whole_trimmed_body_any_case(body, expected):
    assert classify(body) == expected


@pytest.mark.parametrize("body", [
    "STOP.", "Stop!", "stop\u200b", "\u200bstop", "\ufeffSTOP", "ＳＴＯＰ", "ｓｔｏｐ！", "\"stop\"", "(STOP)",
    "stop\u00a0", "¡STOP!", "STOP 🛑", "S\u00adTOP", "st\u200dop", "Stop…",
])
def test_a_reasonable_stop_opts_out(body):
    """Punctuation, full-width letters and invisible characters around or inside the word."""
    assert classify(body) == ("STOP", "optout")


@pytest.mark.parametrize("body,expected", [("Ｓｔａｒｔ.", ("START", "optin")), ("help?", ("HELP", "help")),
                                           ("stop\u200b it", ("", "")), ("stop. it", ("", ""))])
def test_normalised_keywords_stay_whole_body_words(body, expected):
    assert classify(body) == expected


def test_twilio_opt_out_type_wins_even_for_custom_keywords():
    assert classify("STOP", "STOP") == ("STOP", "optout")
    assert classify("ARRET", "STOP") == ("STOP", "optout")   # a custom keyword Twilio matched
    assert classify("hello", "HELP") == ("HELP", "help")
    assert first_word("  join us ") == "JOIN" and first_word("") == ""
    assert first_word("Join! see you") == "JOIN" and first_word("\u200bＪＯＩＮ") == "JOIN"


@pytest.mark.parametrize("ip,local,ok", [
    ("8.8.8.8", False, True), ("10.0.0.1", False, False), ("192.168.1.1", False, False),
    ("172.16.0.1", False, False), ("127.0.0.1", False, False), ("127.0.0.1", True, True),
    ("169.254.169.254", True, False), ("100.64.0.1", False, False), ("168.63.129.16", False, False),
    ("::1", False, False), ("::ffff:10.0.0.1", False, False), ("fd00::1", False, False), ("224.0.0.1", False, False),
    ("0.0.0.0", True, False), ("not-an-ip", False, False),
])
def test_only_public_addresses_may_receive_callbacks(ip, local, ok):
    assert _allowed_ip(ip, local) is ok


# IPv6 forms that carry an IPv4 address (ipaddress calls all but Teredo global): loopback and
# the metadata address through IPv4-compatible, NAT64, 6to4, Teredo, mapped and translated forms
EMBEDDED_PRIVATE = ["::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2002:a9fe:a9fe::",
                    "2001:0:53aa:64c:0:0:80ff:fffe", "::ffff:169.254.169.254", "::ffff:0:a9fe:a9fe",
                    "64:ff9b::a00:1", "::a9fe:a9fe", "64:ff9b:1::808:808"]


@pytest.mark.parametrize("ip", EMBEDDED_PRIVATE)
def test_ipv6_forms_are_judged_by_the_ipv4_address_inside(ip):
    assert _allowed_ip(ip, False) is False


@pytest.mark.parametrize("ip", ["::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1", "2606:4700::1111"])
def test_ipv6_forms_of_public_addresses_stay_allowed(ip):
    assert _allowed_ip(ip, False) is True


class _Peer:
    """A connected socket as the delivery guard sees it: only its peer address matters."""

    def __init__(self, address: str) -> None:
        self.address, self.closed = address, False

    def getpeername(self):  # noqa: ANN201
        return (self.address, 443, 0, 0)

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("ip", EMBEDDED_PRIVATE[:5])
def test_the_connection_guard_refuses_the_same_forms_after_connect(ip):
    sock = _Peer(ip)
    with pytest.raises(OSError, match="non-public"):
        check_peer(sock, False)  # type: ignore[arg-type]
    assert sock.closed
    assert check_peer(_Peer("2606:4700::1111"), False).closed is False  # type: ignore[arg-type]


@pytest.mark.parametrize("url", ["http://example.com/x", "ftp://example.com/", "https://", "https://u:p@example.com/"])
def test_malformed_or_plain_http_urls_are_refused_without_dns(url, monkeypatch):
    import socket

    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("no DNS lookup expected"))
    with pytest.raises(CallbackRefused) as err:
        check_url(url)
    assert err.value.field == "WebHookUri" and err.value.status == 400


def test_cursor_arithmetic_matches_descending_ids():
    from shared_code.common.ids import desc_floor, desc_id_ms, new_desc_id
    from shared_code.inbound.models import InboundMessage

    ms = 1_780_000_000_123
    mid = new_desc_id(ms)
    m = InboundMessage(MessageId=mid, AccountId="a", ReceivedAt="2026-01-01T00:00:00Z")
    assert desc_id_ms(m.MessageId) == ms
    assert desc_floor(ms) <= mid < desc_floor(ms - 1)           # in (ms - 1, ms]
    assert new_desc_id(ms + 1) < desc_floor(ms) <= new_desc_id(ms)  # newer sorts first


def test_every_media_item_is_kept_in_order():
    from shared_code.inbound.receive import media_items

    params = {"NumMedia": "3", "MediaUrl0": "u0", "MediaContentType0": "image/png", "MediaUrl2": "u2",
              "MediaContentType2": "video/mp4", "MediaUrl1": "u1", "MediaContentType1": "image/gif"}
    assert [m["Url"] for m in media_items(params)] == ["u0", "u1", "u2"]
    assert media_items({"NumMedia": "0"}) == []
