"""The portal over plain HTTP, as a browser would use it (cookies, same-origin form posts with
the page's CSRF token), for tests that need no real browser."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import requests

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')


class PortalClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False  # never route 127.0.0.1 through a proxy
        self.last: requests.Response | None = None
        self.email = ""

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("allow_redirects", True)
        self.last = self.session.get(self.url(path), timeout=30, **kw)
        return self.last

    def sign_in(self, email: str, name: str = "") -> requests.Response:
        """Through devhost's development sign-in (what /.auth/login/aad is locally)."""
        self.email = email.strip().lower()
        first = self.session.get(self.url("/"), timeout=30, allow_redirects=False)
        assert first.status_code == 302 and "/.auth/login/aad" in first.headers["Location"], first.status_code
        response = self.session.post(self.url("/.auth/login/aad"), timeout=30, allow_redirects=True,
                                     data={"email": email, "name": name, "post_login_redirect_uri": "/"})
        self.last = response
        return response

    def csrf(self) -> str:
        assert self.last is not None, "open a page first"
        found = _CSRF.search(self.last.text)
        assert found, "no CSRF field on the last page"
        return html.unescape(found.group(1) or found.group(2))

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, origin: bool = True,
             follow: bool = True, **kw: Any) -> requests.Response:
        """A form post from our own page: the page's CSRF token and the browser's Origin."""
        form = dict(data or {})
        if csrf and "csrf_token" not in form:
            form["csrf_token"] = self.csrf()
        headers = dict(kw.pop("headers", {}))
        if origin:
            parts = urlsplit(self.base_url)
            headers.setdefault("Origin", f"{parts.scheme}://{parts.netloc}")
        self.last = self.session.post(self.url(path), data=form, headers=headers, timeout=60,
                                      allow_redirects=follow, **kw)
        return self.last


def text_of(page: str) -> str:
    """A page's visible text, roughly: tags dropped, entities decoded, whitespace squeezed."""
    no_tags = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S))
    return re.sub(r"\s+", " ", html.unescape(no_tags)).strip()


_emails = iter(range(1, 10**6))


def new_email(who: str = "owner") -> str:
    """A fresh sign-in address per call, so tests never share a user."""
    return f"{who}{next(_emails)}@shop{next(_emails)}.example"


def signed_in(base_url: str, email: str | None = None, name: str = "") -> PortalClient:
    client = PortalClient(base_url)
    client.sign_in(email or new_email(), name)
    return client


def with_account(base_url: str, name: str = "Acme Dental", email: str | None = None) -> tuple[PortalClient, str]:
    """A signed-in user who has just created their business's account through the home page;
    returns the client and the account id."""
    from shared_code.accounts.accounts import accounts_for
    from tests.support.tenants import new_phone

    client = signed_in(base_url, email)
    response = client.post("/accounts", {"Name": name, "Phone": new_phone("415"), "Region": "US",
                                         "TimeZone": "America/New_York"})
    assert response.status_code == 200, text_of(response.text)
    mine = accounts_for(client.email)
    assert mine, "the account was not created"
    return client, mine[-1].AccountId if len(mine) == 1 else next(a.AccountId for a in mine if a.Name == name)
