"""The portal's defences that every response and every POST gets: security headers, the CSRF
token (HMAC of the signed-in user under a per-deployment secret) and the same-origin check.

The secret lives in Table Storage (``Secrets``), made on first use by a conditional insert, so
all instances share it and there is no setting to forget or leak into a template."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from urllib.parse import urlsplit

from ..common.errors import Forbidden
from ..common.storage.names import SECRETS
from ..common.storage.rows import get_row, insert_if_absent
from ..web.request import ApiRequest

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SECRET_BYTES = 32
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}
PAGE_CACHE = "no-store"

_secret: bytes | None = None
_lock = threading.Lock()


def deployment_secret() -> bytes:
    """The deployment's CSRF key: read, or made by the first instance that needs it."""
    global _secret
    if _secret is not None:
        return _secret
    with _lock:
        if _secret is None:
            from ..common.context import repos

            table = repos().store.table(SECRETS)
            row = get_row(table, "portal", "csrf")
            if row is None:
                # made here, or by another instance first: either way the stored one is the key
                insert_if_absent(table, {"PartitionKey": "portal", "RowKey": "csrf",
                                         "Value": secrets.token_hex(SECRET_BYTES)})
                row = get_row(table, "portal", "csrf")
            _secret = bytes.fromhex(row["Value"])
    return _secret


def reset_secret_cache() -> None:
    """For tests that point the app at another storage account."""
    global _secret
    _secret = None


def csrf_token(user_key: str) -> str:
    """The token of one signed-in user (their Entra object id): the same on every page, useless
    to anyone else, and not derivable without the deployment secret."""
    return hmac.new(deployment_secret(), b"csrf:" + user_key.encode(), hashlib.sha256).hexdigest()


def check_csrf(user_key: str, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(csrf_token(user_key), sent.strip()):
        raise Forbidden("This form has expired or did not come from this site. Reload the page and try again.",
                        code="CsrfFailed")


def check_same_origin(req: ApiRequest) -> None:
    """A state-changing request must come from our own pages: browsers say so in
    Sec-Fetch-Site, and in Origin (compared with the Host the request was sent to)."""
    site = (req.header("Sec-Fetch-Site") or "").strip().lower()
    if site and site not in ("same-origin", "none"):
        raise Forbidden("This request came from another site.", code="CrossSiteRequest")
    origin = (req.header("Origin") or "").strip()
    if origin and origin != "null":
        host = (req.header("Host") or urlsplit(req.url).netloc).split(",")[0]
        if urlsplit(origin).netloc.lower() != host.strip().lower():
            raise Forbidden("This request came from another site.", code="CrossSiteRequest")
    elif origin == "null":
        raise Forbidden("This request came from another site.", code="CrossSiteRequest")
