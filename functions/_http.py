"""The one adapter between azure.functions HTTP types and shared_code's plain ones."""

from __future__ import annotations

import azure.functions as func


def respond(req: func.HttpRequest, op_id: str) -> func.HttpResponse:
    from shared_code.api import find
    from shared_code.web.request import ApiRequest
    from shared_code.web.runtime import execute

    res = execute(find(op_id).endpoint, ApiRequest(method=req.method, url=req.url, headers=dict(req.headers),
                                                   params=dict(req.params), route=dict(req.route_params),
                                                   body=req.get_body() or b""))
    return func.HttpResponse(body=res.body, status_code=res.status, headers=res.headers)
