"""Every HTTP operation declared in ``shared_code.api``, registered as one Azure Function named
after its operation id (route and method from the declaration; anonymous, as the app's default: the
runtime checks the API key or Twilio's signature). host.json's routePrefix is "" (the portal is
at the site root), so the API's ``/api`` is said here, once: every API path is what it was.

The worker loads each function by checking its handler's parameters against its bindings, so
every handler takes ``req`` (the HTTP trigger's binding) and returns the ``$return`` output.
Registering in a loop is fine for the worker; azure-functions-doctor warns about it falsely."""

from __future__ import annotations

import azure.functions as func

from shared_code.api import operations

from ._http import respond

bp = func.Blueprint()


def _handler(op_id: str):  # noqa: ANN202 - a Functions handler named after the operation
    def handler(req: func.HttpRequest) -> func.HttpResponse:
        return respond(req, op_id)
    handler.__name__ = handler.__qualname__ = op_id
    return handler


API_PREFIX = "api"

for _op in operations().values():
    bp.route(route=f"{API_PREFIX}/{_op.route}", methods=[_op.method.upper()])(_handler(_op.id))
