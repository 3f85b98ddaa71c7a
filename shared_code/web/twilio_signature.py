"""Twilio webhook signatures: checked against the public URL Twilio called (not the internal
one a proxy forwarded to), with blank form fields kept — both are needed to match."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ..common.config import get_settings
from ..common.errors import Forbidden
from .request import ApiRequest


def form_params(req: ApiRequest) -> dict[str, str]:
    return dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))


def public_url(req: ApiRequest) -> str:
    parts = urlsplit(req.url)
    base = get_settings().public_base_url
    if base:
        b = urlsplit(base)
        return urlunsplit((b.scheme, b.netloc, b.path.rstrip("/") + parts.path, parts.query, ""))
    proto = (req.header("X-Forwarded-Proto") or parts.scheme).split(",")[0].strip()
    host = (req.header("X-Forwarded-Host") or req.header("Host") or parts.netloc).split(",")[0].strip()
    return urlunsplit((proto, host, parts.path, parts.query, ""))


def verify(req: ApiRequest, params: dict[str, str]) -> None:
    """Raise 403 unless X-Twilio-Signature matches (with the deployment's Twilio auth token)."""
    from twilio.request_validator import RequestValidator

    token = get_settings().twilio_auth_token
    signature = req.header("X-Twilio-Signature") or ""
    if not token or not signature or not RequestValidator(token).validate(public_url(req), params, signature):
        raise Forbidden("The Twilio signature is missing or does not match.", code="InvalidSignature")
