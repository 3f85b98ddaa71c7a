"""The one answer to "where are we reachable?": PUBLIC_BASE_URL when set (behind a proxy or a
custom domain), else the scheme and host the request came in on."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from .config import get_settings


def public_base(request_url: str | None = None) -> str | None:
    """The public base URL without a trailing slash; None with neither a setting nor a request."""
    base = get_settings().public_base_url
    if not base and request_url:
        parts = urlsplit(request_url)
        base = f"{parts.scheme}://{parts.netloc}"
    return base.rstrip("/") if base else None


def public_url(path: str, request_url: str | None = None) -> str | None:
    """An absolute URL for ``path`` (e.g. "/api/r/CODE") on the public base."""
    base = public_base(request_url)
    return f"{base}/{path.lstrip('/')}" if base else None


def public_request_url(request_url: str, forwarded_proto: str | None = None,
                       forwarded_host: str | None = None) -> str:
    """The URL the caller used for this request: PUBLIC_BASE_URL's scheme, host and path prefix
    with the request's path and query; without the setting, the scheme and host a proxy says it
    forwarded (X-Forwarded-Proto / -Host, first value), else the request's own."""
    parts = urlsplit(request_url)
    base = get_settings().public_base_url
    if base:
        b = urlsplit(base)
        return urlunsplit((b.scheme, b.netloc, b.path.rstrip("/") + parts.path, parts.query, ""))
    proto = (forwarded_proto or parts.scheme).split(",")[0].strip()
    host = (forwarded_host or parts.netloc).split(",")[0].strip()
    return urlunsplit((proto, host, parts.path, parts.query, ""))
