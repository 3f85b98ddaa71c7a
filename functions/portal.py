"""Every portal page declared in ``shared_code.portal`` (``site.page``), registered as one Azure
Function named after its page id, at the site root (host.json routePrefix is ""). Anonymous at
the host: the portal runtime reads the signed-in user from App Service authentication.

As in functions/http.py, each handler takes ``req`` and returns the ``$return`` output."""

from __future__ import annotations

import azure.functions as func

from shared_code.portal import pages

from ._http import respond_page

bp = func.Blueprint()


def _handler(page_id: str):  # noqa: ANN202 - a Functions handler named after the page
    def handler(req: func.HttpRequest) -> func.HttpResponse:
        return respond_page(req, page_id)
    handler.__name__ = handler.__qualname__ = page_id
    return handler


for _page in pages().values():
    bp.route(route=_page.function_route, methods=[_page.method])(_handler(_page.id))
