"""The one answer to "where are we reachable?": PUBLIC_BASE_URL when set (behind a proxy or a
custom domain), else the scheme and host the request came in on."""

from __future__ import annotations

from urllib.parse import urlsplit

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
