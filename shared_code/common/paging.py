"""Search and paging over a time-ordered listing.

The continuation token is the key (RowKey or id) of the last item returned, base64url without
padding: it round-trips any key — "+" of an E.164 number, "_" of a composite key — and its
alphabet needs no escaping in a URL query, where a bare "+" would read as a space. So a page
never repeats or skips an item even while rows are added.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import ValidationFailed

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_token: str | None = None


# What a table key may not hold (Table Storage refuses these in PartitionKey/RowKey): a token
# decoding to one of them was not issued here.
_NOT_IN_KEYS = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")
MAX_KEY_CHARS = 1024  # a PartitionKey or RowKey's longest (Table Storage: 1 KiB)


def encode_token(last_key: str) -> str:
    return base64.urlsafe_b64encode(last_key.encode()).decode().rstrip("=")


def decode_token(token: str | None, prefix: str = "") -> str | None:
    """The key a token carries; ``prefix``: what every key of the listing starts with (a token
    of another listing is refused too)."""
    if not token:
        return None
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw or _NOT_IN_KEYS.search(raw) or len(raw) > MAX_KEY_CHARS or not raw.startswith(prefix):
        raise ValidationFailed("skiptoken is not a token this service issued; start again without it.",
                               field="skiptoken", code="InvalidSkipToken")
    return raw


def matches(search: str | None, *fields: str) -> bool:
    """Case-insensitive substring match; a search made of phone characters matches digits,
    so "555 123" finds +15551234567."""
    if not search:
        return True
    hay = " ".join(fields).casefold()
    if search.casefold() in hay:
        return True
    digits = re.sub(r"\D", "", search)
    return (len(digits) >= 3 and not re.search(r"[^\d\s()+.-]", search)
            and digits in re.sub(r"\D", "", hay))


def paginate(source: Callable[[str | None], Iterable[T]], *, key: Callable[[T], str],
             keep: Callable[[T], bool], top: int | None, token: str | None,
             sort: Callable[[T], object] | None = None) -> Page[T]:
    """Without ``top``: every match (dropdowns want the whole list), sorted by ``sort``.
    With ``top``: one page in creation order and a token for the next."""
    after = decode_token(token)
    items: Iterator[T] = (x for x in source(after) if keep(x))
    if top is None:
        result = list(items)
        if sort is not None:
            result.sort(key=sort)
        return Page(result)
    page: list[T] = []
    for item in items:
        if len(page) == top:
            return Page(page, encode_token(key(page[-1])))
        page.append(item)
    return Page(page)
