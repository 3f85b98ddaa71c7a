"""The business's portal: server-rendered pages at the site root, on the same services as the
API. ``site.py`` declares pages, ``runtime.py`` runs them (sign-in, CSRF, security headers,
templates), one module per area declares its pages. The page modules are imported on the first
page request (``runtime.dispatch``), never while the worker indexes the app; keep them light
at import anyway (services through ``lazy``): the first request pays for them."""

from __future__ import annotations

import importlib
from functools import lru_cache

from .site import Page, site

# Every module that declares pages, in navigation order. One line each.
PAGE_MODULES = (
    "home",
    "keys",
    "places",
    "contacts",
    "groups",
    "conversations",
    "campaigns",
    "compose",
    "compliance",
    "dashboard",
    "account_settings",
    "admins",
    "assets",
)


@lru_cache(maxsize=1)
def pages() -> dict[str, Page]:
    """Every page by id (importing the page modules declares them on ``site``)."""
    for name in PAGE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return {p.id: p for p in site.pages}


def find(page_id: str) -> Page:
    return pages()[page_id]
