"""SMS segment counting, done the way Twilio bills it.

Twilio charges per segment, and a single character such as a curly quote pasted from Word can
silently switch a message to UCS-2 and more than double its cost. Makers need the number (and
the culprit characters) before sending, so this module reproduces Twilio's rules exactly:

* GSM-7 (3GPP TS 23.038): every character of the basic table costs 1 septet, every character
  of the extension table costs 2 (an escape septet plus the character). One segment holds 160
  septets; a split message uses parts of 153 (7 septets go to the concatenation header), and an
  escape pair is never split across parts.
* UCS-2: used as soon as any character is outside both tables. Costs are UTF-16 code units
  (an emoji outside the Basic Multilingual Plane is a surrogate pair: 2 units). One segment
  holds 70 units; a split message uses parts of 67, and a surrogate pair is never split.

Twilio's "smart encoding" (which would replace curly quotes with straight ones) is a Messaging
Service option we do not rely on, so characters are counted as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import Unprocessable, ValidationFailed

MAX_BODY_CHARS = 1600
"""Twilio rejects a body longer than 1600 characters (error 21617)."""

# The GSM 03.38 basic character set in code order 0x00-0x7F, without the escape (0x1B).
# Note 0x09 is the capital Ç: the small ç is NOT in the table and forces UCS-2.
# Greek letters are the Greek code points (Δ U+0394, Ω U+03A9), not the math look-alikes.
GSM_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs the escape septet plus itself.
GSM_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SegmentInfo:
    """How a body will be encoded and billed.

    ``units`` is the unpadded total: septets (extension characters counted as 2) for GSM-7,
    UTF-16 code units for UCS-2. ``non_gsm`` lists, in order of first appearance, the distinct
    characters that forced UCS-2, so a message can say exactly what to replace.
    """

    encoding: Literal["GSM-7", "UCS-2"]
    segments: int
    units: int
    characters: int
    non_gsm: tuple[str, ...] = ()


def _gsm_cost(char: str) -> int | None:
    """Septets for one character, or None when it is not GSM-7 at all."""
    if char in GSM_BASIC:
        return 1
    if char in GSM_EXTENSION:
        return 2
    return None


def _utf16_units(char: str) -> int:
    """UTF-16 code units of one code point: 2 outside the BMP (a surrogate pair), else 1."""
    return 2 if ord(char) > 0xFFFF else 1


def _pack(costs: list[int], single: int, part: int) -> int:
    """Number of segments for indivisible items of the given costs.

    A message that fits ``single`` is one segment; otherwise items are packed greedily into
    parts of ``part`` units and an item that does not fit in the rest of a part starts the next
    one. That is how handsets and Twilio keep escape pairs and surrogate pairs whole, which is
    why a 2-unit character at a part boundary can cost an extra segment.
    """
    total = sum(costs)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > part:
            parts, used = parts + 1, 0
        used += cost
    return parts


def count_segments(body: str) -> SegmentInfo:
    """Count Twilio segments for ``body``.

    An empty body is 0 segments of 0 units (GSM-7): there is nothing to send, and
    :func:`check_body` rejects it anyway, so no caller should bill for it.
    """
    gsm_costs: list[int] = []
    non_gsm: dict[str, None] = {}  # ordered set
    for char in body:
        cost = _gsm_cost(char)
        if cost is None:
            non_gsm.setdefault(char, None)
        else:
            gsm_costs.append(cost)
    if not non_gsm:
        return SegmentInfo("GSM-7", _pack(gsm_costs, GSM_SINGLE, GSM_PART), sum(gsm_costs),
                           len(body))
    ucs_costs = [_utf16_units(char) for char in body]
    return SegmentInfo("UCS-2", _pack(ucs_costs, UCS2_SINGLE, UCS2_PART), sum(ucs_costs),
                       len(body), tuple(non_gsm))


def check_body(body: str, field: str) -> SegmentInfo:
    """Validate a message body before it is queued, and return its segment count.

    Empty or whitespace-only is a 400 (nothing to send); over 1600 characters is a 422 because
    Twilio would refuse it later, when the maker is no longer watching.
    """
    text = body if isinstance(body, str) else ""
    if not text.strip():
        raise ValidationFailed(f"{field} is empty: give the text of the message.",
                               code="BodyEmpty", field=field)
    if len(text) > MAX_BODY_CHARS:
        raise Unprocessable(
            f"{field} is {len(text)} characters long; the limit is {MAX_BODY_CHARS} characters."
            f" Shorten it by {len(text) - MAX_BODY_CHARS} characters.",
            code="BodyTooLong", field=field,
        )
    return count_segments(text)
