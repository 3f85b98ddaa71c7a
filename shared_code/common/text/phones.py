"""Phone numbers: parse, validate and normalize to E.164 with phonenumbers; mask for logs."""

from __future__ import annotations

from ..errors import ValidationFailed


def to_e164(raw: object, *, region: str, field: str) -> str:
    """Normalize ``raw`` (E.164 or the account region's national format) or raise a 400."""
    import phonenumbers

    text = str(raw or "").strip()
    if not text:
        raise ValidationFailed(f"{field} is required: give a phone number such as +15551234567.",
                               field=field, code="InvalidPhone")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationFailed(
            f"{field}: '{text[:40]}' is not a valid phone number"
            f" (use E.164 like +15551234567, or a {region} national number).",
            field=field, code="InvalidPhone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(phone: str | None) -> str:
    """+15551234567 -> +1555***4567: enough to follow a log, not enough to dial."""
    if not phone:
        return ""
    if len(phone) <= 6:
        return "***"
    return phone[:5] + "***" + phone[-4:] if len(phone) > 9 else phone[:2] + "***" + phone[-2:]


class PhoneSet:
    """The numbers met so far, exactly, in about 8 bytes each: a set of strings costs ~130
    bytes a number, and dispatch meets every recipient of a send (100,000 and more). E.164
    numbers are kept as integers in a sorted array; the newest wait in a small set until they
    are merged in. Anything else (never stored by us, but possible in old rows) in a set."""

    MERGE_AT = 8_192  # numbers waiting in the small set before a merge into the array

    def __init__(self) -> None:
        from array import array

        self._sorted = array("q")
        self._recent: set[int] = set()
        self._other: set[str] = set()
        self._count = 0

    def add(self, phone: str) -> bool:
        """Remember ``phone``; False when it was met before."""
        from bisect import bisect_left

        key = int(phone[1:]) if len(phone) <= 16 and phone[:1] == "+" and phone[1:2] != "0" \
            and phone[1:].isdigit() else None
        if key is None:
            if phone in self._other:
                return False
            self._other.add(phone)
        else:
            if key in self._recent:
                return False
            at = bisect_left(self._sorted, key)
            if at < len(self._sorted) and self._sorted[at] == key:
                return False
            self._recent.add(key)
            if len(self._recent) >= self.MERGE_AT:
                self._merge()
        self._count += 1
        return True

    def _merge(self) -> None:
        from array import array
        from heapq import merge

        self._sorted = array("q", merge(self._sorted, sorted(self._recent)))  # one number at a time
        self._recent.clear()

    def __len__(self) -> int:
        return self._count
