"""HTTP triggers: a threaded werkzeug server and a WSGI app that routes like the Functions host.

Host behaviours mirrored on purpose: ``/{routePrefix}/{route}``; an unknown path *or* a known
path with a method no function accepts is a bare 404; a function that raises is a bare 500
(the traceback goes to the log, never to the client); returning None is 204; keys and
``auth_level`` are not enforced (Core Tools doesn't locally either).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import azure.functions as func
from werkzeug.datastructures import Headers
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from devhost.functions import FunctionInfo, enum_text
from devhost.invocation import Invoker, exception_summary, log_invocation
from devhost.routes import Route, Router, parse

log = logging.getLogger("devhost")

# Admin trigger for non-HTTP functions, as Core Tools offers: POST /admin/functions/{name}.
AdminRunner = Callable[[FunctionInfo, str], None]


class _Response(Response):
    default_mimetype = None  # the host sends no Content-Type on its own 404/500/204


class _QuietHandler(WSGIRequestHandler):
    """Our one line per invocation replaces werkzeug's access log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def build_router(functions: Iterable[FunctionInfo]) -> Router[FunctionInfo]:
    routes = []
    for function in functions:
        if function.kind != "http":
            continue
        template = function.trigger.route if function.trigger.route is not None else function.name
        methods = function.trigger.methods
        allowed = frozenset(enum_text(m).upper() for m in methods) if methods else None
        routes.append(Route(parse(template), allowed, function, function.name))
    return Router(routes)


class HttpFrontend:
    """The WSGI app plus its server thread."""

    def __init__(
        self,
        functions: list[FunctionInfo],
        invoker: Invoker,
        *,
        route_prefix: str,
        admin: AdminRunner | None = None,
    ) -> None:
        self._functions = {f.name.lower(): f for f in functions}
        self._router = build_router(functions)
        self._invoker = invoker
        self._prefix = route_prefix.strip("/")
        self._admin = admin
        self._closing = False
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- server lifecycle ---------------------------------------------------------------------
    def start(self, host: str, port: int) -> int:
        """Listen (port 0 picks a free one) and serve in a thread; returns the bound port."""
        self._server = make_server(host, port, self, threaded=True, request_handler=_QuietHandler)
        # A short poll interval keeps stop() quick (shutdown waits for the loop to notice).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="devhost-http", daemon=True
        )
        self._thread.start()
        return int(self._server.server_port)

    def shutdown(self) -> None:
        """Stop accepting; requests arriving on kept-alive connections get 503 from now on."""
        self._closing = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- WSGI ------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        if self._closing:
            return _Response(status=503, headers={"Connection": "close"})
        path = request.path
        if request.method == "POST" and path.lower().startswith("/admin/functions/"):
            return self._handle_admin(request, path[len("/admin/functions/"):])
        rest = self._strip_prefix(path)
        found = self._router.resolve(request.method, rest) if rest is not None else None
        if found is None:
            return _Response(status=404)
        route, values = found
        return self._invoke(route.target, request, values)

    def _strip_prefix(self, path: str) -> str | None:
        if not self._prefix:
            return path
        prefix = "/" + self._prefix
        if path.lower() == prefix.lower() or path.lower().startswith(prefix.lower() + "/"):
            return path[len(prefix):]
        return None

    def _invoke(self, function: FunctionInfo, request: Request, route_params: dict[str, str]) -> Response:
        started = time.perf_counter()
        label = f"http {request.method} {request.path}"
        req = func.HttpRequest(
            method=request.method,
            url=_raw_url(request),
            headers=dict(request.headers.items()),
            params={key: request.args.get(key, "") for key in request.args.keys()},
            route_params=route_params,
            body=request.get_data(cache=False),
        )
        try:
            outcome = self._invoker.invoke(function, req)
            response = to_wsgi_response(outcome.http_response(function))
        except Exception as exc:  # the app's bug: log it, answer like the host (bare 500)
            log_invocation(function, label, f"500 {exception_summary(exc)}", started, exc=exc)
            return _Response(status=500)
        log_invocation(function, label, str(response.status_code), started)
        return response

    def _handle_admin(self, request: Request, name: str) -> Response:
        function = self._functions.get(name.strip("/").lower())
        if function is None or self._admin is None or function.kind == "http":
            return _Response(status=404)
        try:
            payload = json.loads(request.get_data() or b"{}")
            data = payload.get("input", "") if isinstance(payload, dict) else ""
        except ValueError:
            return _Response(status=400)
        name = f"devhost-admin-{function.name}"
        threading.Thread(target=self._admin, args=(function, str(data or "")), name=name, daemon=True).start()
        return _Response(status=202)


def _raw_url(request: Request) -> str:
    """The URL as the client sent it (percent-encoding kept), like the host's ``req.url``."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return request.host_url.rstrip("/") + raw
    return request.url


_DROPPED = {"content-length", "transfer-encoding", "connection"}


def to_wsgi_response(value: Any) -> Response:
    """Turn what the function returned into a response, as the worker's converter does."""
    if value is None:
        return _Response(status=204)
    if isinstance(value, (str, bytes)):
        return _Response(value, status=200, content_type="text/plain; charset=utf-8")
    if not isinstance(value, func.HttpResponse):
        raise TypeError(f"HTTP function returned {type(value).__name__}; expected HttpResponse, str or None")
    headers = Headers()
    for key, val in value.headers.items():
        if key.lower() not in _DROPPED:
            headers.add(key, val)
    if "content-type" not in headers:
        mimetype = value.mimetype or "text/plain"
        ct = f"{mimetype}; charset={value.charset}" if mimetype.startswith("text/") else mimetype
        headers["Content-Type"] = ct
    return _Response(value.get_body(), status=int(value.status_code), headers=headers)
