"""Helpers: signed Twilio webhooks, subscribing a receiver path, waiting for state."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import requests

from tests.support.fake_twilio import FakeTwilio

TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def data(res: Any) -> Any:
    assert res.status_code in (200, 201, 202), res.text
    return res.json()["Data"]


def text_params(sender: str, to: str, body: str = "Hello there", **extra: str) -> dict[str, str]:
    """What Twilio posts for an incoming SMS (blank fields included, as Twilio sends them)."""
    sid = "SM" + secrets.token_hex(16)
    params = {"ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
              "FromZip": "94105", "SmsSid": sid, "FromState": "CA", "SmsStatus": "received", "FromCity": "SAN FRANCISCO",
              "Body": body, "FromCountry": "US", "To": to, "ToZip": "", "NumSegments": "1", "MessageSid": sid,
              "AccountSid": "AC" + "0" * 32, "From": sender, "ApiVersion": "2010-04-01"}
    params.update(extra)
    return params


def mms_params(sender: str, to: str, body: str = "Look", urls: int = 2) -> dict[str, str]:
    extra = {"NumMedia": str(urls)}
    for i in range(urls):
        extra[f"MediaUrl{i}"] = f"https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME{i}"
        extra[f"MediaContentType{i}"] = "image/jpeg" if i % 2 == 0 else "image/png"
    return text_params(sender, to, body, **extra)


def post_webhook(base_url: str, token: str, params: dict[str, str], *, signature: str | None = None,
                 tamper: dict[str, str] | None = None) -> requests.Response:
    """POST a webhook as Twilio does: form-encoded, X-Twilio-Signature over URL + params."""
    from twilio.request_validator import RequestValidator

    url = f"{base_url}/api/twilio/inbound"
    sig = signature if signature is not None else RequestValidator(token).compute_signature(url, params)
    sent = {**params, **(tamper or {})}
    session = requests.Session()
    session.trust_env = False
    return session.post(url, data=sent, headers={"X-Twilio-Signature": sig}, timeout=10)


def text(host: Any, fake: FakeTwilio, params: dict[str, str]) -> requests.Response:
    res = post_webhook(host.base_url, fake.auth_token, params)
    assert res.status_code == 200, res.text
    assert res.text == TWIML and res.headers["Content-Type"].startswith("text/xml")
    return res


def subscribe(api: Any, url: str, route: str = "twilio/registration", **body: Any) -> tuple[dict[str, Any], str]:
    res = api.post(route, {"WebHookUri": url, **body})
    assert res.status_code == 201, res.text
    return res.json()["Data"], res.headers["Location"]


def wait_until(check: Callable[[], Any], timeout: float = 10.0, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def received(api: Any, sender: str) -> list[dict[str, Any]]:
    return data(api.get("received", params={"From": sender}))


def opted_out(api: Any, phone: str) -> bool:
    return data(api.get("optouts/check", params={"Phone": phone}))["OptedOut"]
