"""One public-URL function: what a caller (Twilio, Power Automate) used to reach us."""

from __future__ import annotations

from shared_code.common import urls
from tests.support.app_env import app_settings


def test_the_public_base_url_wins_with_its_path_prefix() -> None:
    with app_settings({"PUBLIC_BASE_URL": "https://sms.example.com/textor/"}):
        assert urls.public_request_url("http://10.0.0.4:7071/api/twilio/inbound?x=1", "http", "evil.example") == \
            "https://sms.example.com/textor/api/twilio/inbound?x=1"
        assert urls.public_url("/api/r/ABC", "http://10.0.0.4/api/x") == "https://sms.example.com/textor/api/r/ABC"


def test_without_it_the_forwarded_or_direct_scheme_and_host() -> None:
    with app_settings({"PUBLIC_BASE_URL": ""}):
        url = "http://127.0.0.1:7071/api/twilio/inbound"
        assert urls.public_request_url(url) == url
        assert urls.public_request_url(url, "https, http", "sms.example.com, proxy") == \
            "https://sms.example.com/api/twilio/inbound"
        assert urls.public_url("r/ABC", url) == "http://127.0.0.1:7071/r/ABC"
        assert urls.public_url("r/ABC") is None
