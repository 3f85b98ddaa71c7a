"""The portal's pages, each declared once beside its handler: method, route, page id, title,
whether it shows in the navigation and whether it needs a current account.

Routes are at the site root (host.json's ``routePrefix`` is ""); the API lives under ``api/``
and the platform owns ``admin``, ``runtime`` and ``.auth``, so a page may not start with any of
them. ``functions/portal.py`` registers ONE Azure Function for every page, on the catch-all
route :data:`FUNCTION_ROUTE` (the host tries it after every literal and parameter route, so the
API's routes win), and :meth:`Site.resolve` picks the page here. One function per page would
cost the worker ~0.3 ms of indexing each (azure.functions' decorators inspect every handler's
signature) and importing every page module while indexing: 36 pages took the cold-start ratio
from 1.24 to 1.33 (goal <= 1.25, bench/cold_start.py). This way no page module is imported until
a page is asked for.

The page id names the page in logs and tests; routes match as the host's do: segment by segment,
case-insensitive, a literal before a parameter (``keys/new`` before ``keys/{keyId}``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..web.operations import _Declared

# The host does not match an empty route for "/": "" means the function's name (ScriptHost), and
# an HttpTrigger with route "" never runs for "/" (Azure/azure-functions-host#4638,
# Azure/Azure-Functions#2473). A catch-all does, and matches every other path too
# (azure-functions-host#1102), after every more specific route (ASP.NET route precedence).
FUNCTION_ROUTE = "{*path}"
FUNCTION_NAME = "Portal"
RESERVED = ("api", ".auth")  # the API's first segment; Easy Auth's
# The host refuses any route that merely starts with these (ScriptHost.ValidateHttpFunction:
# "admins" is refused too).
HOST_PREFIXES = ("admin", "runtime")
METHODS = ("GET", "POST")  # what a browser form or the portal's fetch calls use


class Page(_Declared):
    id: str
    method: str                 # upper case
    route: str                  # below the site root; "" is the home page
    handler: Callable[[Any], Any]
    title: str = ""
    nav: bool = False           # listed in base.html's navigation (GET pages with a title)
    account: bool = True        # needs the current account (False: runs without one)
    public: bool = False        # served without sign-in (static files)

    @property
    def segments(self) -> tuple[str | None, ...]:
        """Each segment lower-cased, None for a parameter."""
        return tuple(None if s.startswith("{") else s.lower() for s in self.route.split("/") if s)

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """Route values if ``segments`` (of a request path) are this page's route, else None."""
        if len(segments) != len(self.segments):
            return None
        values: dict[str, str] = {}
        for template, part, segment in zip([s for s in self.route.split("/") if s], self.segments, segments):
            if part is None:
                values[template[1:-1]] = segment
            elif part != segment.lower():
                return None
        return values

    @property
    def path(self) -> str:
        """The page's URL path (for the navigation; pages with parameters have none)."""
        return "/" + self.route


class Site:
    """Every page, in declaration order."""

    def __init__(self) -> None:
        self.pages: list[Page] = []

    def add(self, method: str, route: str, page_id: str, handler: Callable[[Any], Any], **declared: Any) -> Page:
        method = method.upper()
        route = route.strip("/")
        if method not in METHODS:
            raise ValueError(f"page {page_id}: method {method} (pages answer {', '.join(METHODS)})")
        first = route.split("/")[0].lower()
        if first in RESERVED or route.lower().startswith(HOST_PREFIXES):
            raise ValueError(f"page {page_id}: /{route} is reserved (/api, /.auth, and anything starting "
                             "admin or runtime)")
        if any(p.id.lower() == page_id.lower() for p in self.pages):
            raise ValueError(f"page {page_id} declared twice")
        page = Page(page_id, method, route, handler, **declared)
        twin = next((p for p in self.pages if p.method == method and p.segments == page.segments), None)
        if twin is not None:
            raise ValueError(f"page {page_id}: {method} /{route} is the route of page {twin.id}")
        if page.nav and (method != "GET" or "{" in route or not page.title):
            raise ValueError(f"page {page_id}: only a GET page with a title and no parameters can be in the nav")
        self.pages.append(page)
        return page

    def page(self, method: str, route: str, page_id: str, **declared: Any) -> Callable[[Callable], Callable]:
        """Decorator: ``@site.page("GET", "contacts", "PortalContacts", title="Contacts", nav=True)``."""
        def wrap(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
            self.add(method, route, page_id, fn, **declared)
            return fn
        return wrap

    def find(self, page_id: str) -> Page:
        for p in self.pages:
            if p.id == page_id:
                return p
        raise LookupError(f"no page {page_id}")

    def nav(self) -> list[Page]:
        return [p for p in self.pages if p.nav]

    def resolve(self, method: str, segments: list[str]) -> tuple[Page, dict[str, str]] | None:
        """The page for a request, as the host would pick among routes: literal segments before
        parameters, segment by segment; the first whose route and method match."""
        ordered = sorted(self.pages, key=lambda p: tuple(1 if s is None else 0 for s in p.segments))
        for page in ordered:
            if page.method == method.upper():
                values = page.match(segments)
                if values is not None:
                    return page, values
        return None


site = Site()
