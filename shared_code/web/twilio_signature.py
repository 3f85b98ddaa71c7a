"""Twilio webhook signatures: checked against the public URL Twilio called (not the internal
one a proxy forwarded to), with blank form fields kept — both are needed to match."""

from __future__ import annotations

from urllib.parse import parse_qsl

from ..common.config import get_settings
from ..common.errors import Forbidden
from .request import ApiRequest


def form_params(req: ApiRequest) -> dict[str, str]:
    return dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))


def public_url(req: ApiRequest) -> str:
    from ..common.urls import public_request_url

    return public_request_url(req.url, req.header("X-Forwarded-Proto"),
                              req.header("X-Forwarded-Host") or req.header("Host"))


def verify(req: ApiRequest, params: dict[str, str]) -> None:
    """Raise 403 unless X-Twilio-Signature matches (with the deployment's Twilio auth token)."""
    from twilio.request_validator import RequestValidator

    token = get_settings().twilio_auth_token
    signature = req.header("X-Twilio-Signature") or ""
    if not token or not signature or not RequestValidator(token).validate(public_url(req), params, signature):
        raise Forbidden("The Twilio signature is missing or does not match.", code="InvalidSignature")
