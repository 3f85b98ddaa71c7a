"""The portal's own CSS and JavaScript, served by a page route (no CDN: the CSP allows only
'self'). URLs carry the file's content hash (``?v=``), so a browser caches a version for a year
and a deploy changes the URL; a request without the current hash revalidates by ETag."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from .site import site

STATIC = Path(__file__).parent / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}
LONG_CACHE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


@lru_cache(maxsize=32)
def _file(name: str) -> tuple[bytes, str] | None:
    """(content, hash) of a file directly in static/ with a known type; None otherwise, so no
    path ever leaves the folder."""
    path = STATIC / name
    if "/" in name or "\\" in name or name.startswith(".") or path.suffix not in TYPES or not path.is_file():
        return None
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:16]


def static_url(name: str) -> str:
    found = _file(name)
    if found is None:
        raise LookupError(f"no static file {name}")
    return f"/static/{name}?v={found[1]}"


@site.page("GET", "static/{name}", "PortalStatic", public=True, account=False)
def static(req: Any) -> Any:
    from ..web.request import ApiResponse

    name = next((v for k, v in req.route.items() if k.lower() == "name"), "")
    found = _file(name)
    if found is None:
        return ApiResponse(404, b"Not found", {"Content-Type": "text/plain; charset=utf-8"})
    data, digest = found
    etag = f'"{digest}"'
    cache = LONG_CACHE if req.params.get("v") == digest else REVALIDATE
    headers = {"Content-Type": TYPES[Path(name).suffix], "ETag": etag, "Cache-Control": cache}
    if etag in (req.header("If-None-Match") or ""):
        return ApiResponse(304, b"", headers)
    return ApiResponse(200, data, headers)
