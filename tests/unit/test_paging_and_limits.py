import pytest

from shared_code.errors import RateLimited, ValidationFailed
from shared_code.services.paging import decode_token, encode_token, matches, paginate
from shared_code.web.ratelimit import RateLimiter


def test_token_round_trip_and_garbage_rejected():
    assert decode_token(encode_token("01ABC")) == "01ABC"
    with pytest.raises(ValidationFailed) as err:
        decode_token("!!not-a-token!!")
    assert err.value.field == "skiptoken"


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
