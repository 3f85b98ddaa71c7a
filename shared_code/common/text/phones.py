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
