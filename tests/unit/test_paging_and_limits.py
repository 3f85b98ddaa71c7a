import pytest

from shared_code.common.errors import RateLimited, ValidationFailed
from shared_code.common.paging import decode_token, encode_token, matches, paginate
from shared_code.web.ratelimit import RateLimiter


def test_token_round_trip_and_garbage_rejected():
    assert decode_token(encode_token("01ABC")) == "01ABC"
    with pytest.raises(ValidationFailed) as err:
        decode_token("!!not-a-token!!")
    assert err.value.field == "skiptoken"
    assert decode_token(encode_token("a_01ABC"), prefix="a_") == "a_01ABC"
    for other in (encode_token("t_01ABC"), encode_token("a_" + "x" * 1100)):  # another listing's; longer than a key
        with pytest.raises(ValidationFailed):
            decode_token(other, prefix="a_")


def test_search_matches_names_and_phone_digits():
    assert matches("jo", "John Smith", "+14155550101")
    assert matches("555 0101", "John", "+14155550101")
    assert not matches("555 0199", "John", "+14155550101")
    assert not matches("mary", "John", "+14155550101")


def test_paginate_pages_cover_everything_once():
    ids = [f"{i:03d}" for i in range(10)]
    source = lambda after: (i for i in ids if after is None or i > after)  # noqa: E731
    seen, token = [], None
    while True:
        page = paginate(source, key=str, keep=lambda i: True, top=3, token=token)
        seen += page.items
        token = page.next_token
        if not token:
            break
    assert seen == ids


def test_rate_limiter_blocks_over_limit_then_resets_next_minute():
    rl = RateLimiter(3)
    for _ in range(3):
        rl.check("k", now=60.0)
    with pytest.raises(RateLimited) as err:
        rl.check("k", now=61.0)
    assert err.value.status == 429 and err.value.headers["Retry-After"] == "59"
    rl.check("other", now=61.0)
    rl.check("k", now=120.0)


@pytest.mark.parametrize("key", ["+14153000499", "01JD7Q0000000000000000000A", "m_01JD7Q", "+1415_01JD~x", "a b"])
def test_token_round_trips_any_row_key_through_a_next_link(key):
    """Every listing's last key (E.164 numbers with their "+", ids, composite keys) survives
    the NextLink as a client parses it (a bare "+" in a query would read as a space)."""
    from urllib.parse import parse_qs, urlsplit

    from shared_code.web.request import ApiRequest
    from shared_code.web.runtime import self_link

    link = self_link(ApiRequest("GET", "http://h/api/x?top=2"), "skiptoken", encode_token(key))
    assert decode_token(parse_qs(urlsplit(link).query)["skiptoken"][0]) == key


def test_the_window_slides_across_a_minute_boundary(clock):
    """10 requests at :59.5 leave none for :00.5 (a fixed window allowed 10 more)."""
    from datetime import datetime, timezone

    clock.at = datetime(2026, 5, 1, 12, 0, 59, 500_000, tzinfo=timezone.utc)
    rl = RateLimiter(10)
    for _ in range(10):
        rl.check("k")
    clock.advance(seconds=1)
    with pytest.raises(RateLimited) as err:
        rl.check("k")
    assert err.value.headers["Retry-After"] == "59"
    clock.advance(seconds=59)
    rl.check("k")  # a minute after the first ones: allowed again


def test_no_60_second_span_holds_more_than_the_limit(clock):
    rl, allowed = RateLimiter(30), []
    start = clock.now()
    for _ in range(1200):  # a request every 0.25 s for 5 minutes, as fast as a runaway flow
        try:
            rl.check("k")
            allowed.append((clock.now() - start).total_seconds())
        except RateLimited:
            pass
        clock.advance(seconds=0.25)
    assert max(sum(1 for u in allowed if t <= u < t + 60) for t in allowed) == 30
    assert len(allowed) >= 5 * 30 - 1  # and the limit is usable: ~30 in every minute


def test_failed_authentications_are_budgeted_per_key_and_per_address(clock):
    from shared_code.web.ratelimit import AuthGuard, client_address

    guard = AuthGuard(per_key=3, per_address=5)
    for _ in range(3):
        guard.check("KEY1", "203.0.113.9")
        guard.failed("KEY1", "203.0.113.9")
    with pytest.raises(RateLimited) as err:
        guard.check("KEY1", "198.51.100.1")  # the key id is spent, from any address
    assert err.value.code == "TooManyFailedAttempts" and err.value.headers["Retry-After"] == "60"
    guard.check("KEY2", "198.51.100.1")
    for key in ("KEY2", "KEY3"):
        guard.failed(key, "203.0.113.9")
    with pytest.raises(RateLimited):
        guard.check("KEY4", "203.0.113.9")  # the address is spent, for any key id
    clock.advance(seconds=61)
    guard.check("KEY1", "203.0.113.9")
    assert client_address("198.51.100.7, 203.0.113.9:51234") == "203.0.113.9"
    assert client_address("[2001:db8::1]:443") == "2001:db8::1" and client_address(None) is None


def test_audience_chunks_round_trip_and_stay_under_a_table_property():
    from shared_code.messaging.storage import AUDIENCE_CHUNK_CHARS, _chunks

    values = [f"+1415{i:07d}" for i in range(10_000)] + ["01JD7Q0000000000000000000A"] * 3
    chunks = list(_chunks(values))
    assert len(chunks) > 1 and all(len(c) <= AUDIENCE_CHUNK_CHARS < 32 * 1024 for c in chunks)
    assert [v for c in chunks for v in c.split(",")] == values
    assert list(_chunks([])) == [] and list(_chunks(["+14155550100"])) == ["+14155550100"]
