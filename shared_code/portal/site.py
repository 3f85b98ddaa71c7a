"""The portal's pages, each declared once beside its handler: method, route, page id, title,
whether it shows in the navigation and whether it needs a current account.

``functions/portal.py`` registers one Azure Function per page (named after the page id), as
``functions/http.py`` does for the API's operations. Routes are at the site root (host.json's
``routePrefix`` is ""); the API lives under ``api/`` and the platform owns ``admin``,
``runtime`` and ``.auth``, so a page may not start with any of them. The home page is the root
itself (route ""), which the Functions host only matches through an optional parameter: see
:data:`ROOT_ROUTE`.

Imported at indexing time: standard library only (page modules name their services with
``shared_code.web.operations.lazy``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..web.operations import _Declared

# The host does not match an empty route: "" means the function's name (ScriptHost), and an
# HttpTrigger with route "" never runs for "/" (Azure/azure-functions-host#4638,
# Azure/Azure-Functions#2473). An optional parameter does (azure-functions-host#1102); the
# maxlength(0) constraint makes it match "/" only.
ROOT_ROUTE = "{ignored:maxlength(0)?}"
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
    def function_route(self) -> str:
        """The route the Azure Function is registered with."""
        return self.route or ROOT_ROUTE

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


site = Site()
