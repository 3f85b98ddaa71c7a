"""The portal (shared_code/portal): ONE Azure Function on the catch-all route at the site root
(host.json routePrefix is ""), which the host tries after every API route; the portal picks the
page itself (``Site.resolve``, the host's precedence). Why one and not one per page: the
cold-start goal (shared_code/portal/site.py). Nothing of shared_code is imported here: the page
modules load on the first page request. Anonymous at the host: the portal runtime reads the
signed-in user from App Service authentication.

As in functions/http.py, the handler takes ``req`` and returns the ``$return`` output."""

from __future__ import annotations

import azure.functions as func

from ._http import respond_portal

bp = func.Blueprint()
# shared_code.portal.site FUNCTION_NAME / FUNCTION_ROUTE, said here too so that indexing
# imports nothing of the portal (tests/portal/test_site.py keeps the two equal).
FUNCTION_NAME = "Portal"
FUNCTION_ROUTE = "{*path}"
METHODS = ["GET", "POST"]


@bp.function_name(FUNCTION_NAME)
@bp.route(route=FUNCTION_ROUTE, methods=METHODS)
def portal(req: func.HttpRequest) -> func.HttpResponse:
    return respond_portal(req)
