"""The one adapter between azure.functions HTTP types and shared_code's plain ones."""

from __future__ import annotations

import azure.functions as func


def respond(req: func.HttpRequest, op_id: str) -> func.HttpResponse:
    from shared_code.api import find
    from shared_code.web.runtime import execute

    res = execute(find(op_id).endpoint, to_request(req))
    return to_response(res)


def respond_portal(req: func.HttpRequest) -> func.HttpResponse:
    from shared_code.portal.runtime import dispatch

    return to_response(dispatch(to_request(req)))


def to_request(req: func.HttpRequest):  # noqa: ANN201 - shared_code.web.request.ApiRequest, imported lazily
    from shared_code.web.request import ApiRequest

    return ApiRequest(method=req.method, url=req.url, headers=dict(req.headers), params=dict(req.params),
                      route=dict(req.route_params), body=req.get_body() or b"")


def to_response(res) -> func.HttpResponse:  # noqa: ANN001 - a shared_code.web.request.ApiResponse
    """Several Set-Cookie headers ride in the response's header list; the worker turns them
    into the host's cookies (azure.functions http.py HttpResponseConverter)."""
    out = func.HttpResponse(body=res.body, status_code=res.status, headers=res.headers)
    for cookie in res.cookies:
        out.headers.add("Set-Cookie", cookie)
    return out
