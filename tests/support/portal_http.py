"""The portal over plain HTTP, as a browser would use it (cookies, same-origin form posts with
the page's CSRF token), for tests that need no real browser."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import requests

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class PortalClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False  # never route 127.0.0.1 through a proxy
        self.last: requests.Response | None = None

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("allow_redirects", True)
        self.last = self.session.get(self.url(path), timeout=30, **kw)
        return self.last

    def sign_in(self, email: str, name: str = "") -> requests.Response:
        """Through devhost's development sign-in (what /.auth/login/aad is locally)."""
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
        return html.unescape(found.group(1))

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, origin: bool = True,
             follow: bool = True, **kw: Any) -> requests.Response:
        """A form post from our own page: the page's CSRF token and the browser's Origin."""
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf())
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
