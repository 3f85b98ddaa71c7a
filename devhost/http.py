"""HTTP triggers: a threaded werkzeug server and a WSGI app that routes like the Functions host.

Host behaviours mirrored on purpose: ``/{routePrefix}/{route}``; an unknown path *or* a known
path with a method no function accepts is a bare 404; a function that raises, times out, or
returns None (or anything but an HttpResponse or str) is a bare 500 (the traceback goes to the
log, never to the client). Functions must be ANONYMOUS: devhost does not check function keys, so
it refuses other auth levels at start (devhost.validation) rather than let a call through that
Azure would answer 401.

The request reaches the function as the host converts it (GrpcMessageConversionExtensions.cs
``ToRpcHttp``): see :func:`build_request`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

import azure.functions as func
from werkzeug.datastructures import Headers
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from devhost.auth import PREFIX as AUTH_PREFIX, EasyAuth
from devhost.functions import FunctionInfo
from devhost.invocation import Invoker, exception_summary, log_invocation
from devhost.routes import Route, Router
from devhost.validation import http_methods

log = logging.getLogger("devhost")

# Admin trigger for timer functions, as Core Tools offers: POST /admin/functions/{name}.
AdminRunner = Callable[[FunctionInfo], None]


class _Response(Response):
    default_mimetype = None  # the host sends no Content-Type on its own 404/500/204


class _QuietHandler(WSGIRequestHandler):
    """Our one line per invocation replaces werkzeug's access log; the headers as the client sent
    them (names, order, repeats) ride along in the environ, since WSGI renames and merges them."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ[RAW_HEADERS] = list(self.headers.items())
        return environ


RAW_HEADERS = "devhost.raw_headers"


def build_router(functions: Iterable[FunctionInfo]) -> Router[FunctionInfo]:
    """A route left empty is the function's name (ScriptHost.ValidateHttpFunction)."""
    return Router(
        Route(f.trigger.route or f.name, http_methods(f.trigger), f) for f in functions if f.kind == "http"
    )


class HttpFrontend:
    """The WSGI app plus its server thread."""

    def __init__(
        self,
        functions: list[FunctionInfo],
        invoker: Invoker,
        *,
        route_prefix: str,
        admin: AdminRunner | None = None,
        auth: EasyAuth | None = None,
    ) -> None:
        self._auth = auth
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
        if self._auth is not None and path.lower().startswith(AUTH_PREFIX):
            return self._auth.handle(request)
        if request.method == "POST" and path.lower().startswith("/admin/functions/"):
            return self._handle_admin(request, path[len("/admin/functions/"):])
        rest = self._strip_prefix(kestrel_path(_raw_target(request).partition("?")[0]))
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
        identity = self._auth.identity_headers(request) if self._auth is not None else None
        req = build_request(request, route_params, identity)
        try:
            response = to_wsgi_response(self._invoker.invoke(function, req))
        except Exception as exc:  # the app's bug: log it, answer like the host (bare 500)
            log_invocation(function, label, f"500 {exception_summary(exc)}", started, exc=exc)
            return _Response(status=500)
        log_invocation(function, label, str(response.status_code), started)
        return response

    def _handle_admin(self, request: Request, name: str) -> Response:
        """Runs a timer function now. The host also takes queue functions here (with the message in
        ``input``); devhost answers those 501, as this app's tests only run its timer."""
        function = self._functions.get(name.strip("/").lower())
        if function is None or self._admin is None or function.kind == "http":
            return _Response(status=404)
        if function.kind != "timer":
            return _Response("devhost runs only timer functions from /admin/functions; extend devhost/http.py first",
                             status=501, content_type="text/plain; charset=utf-8")
        name = f"devhost-admin-{function.name}"
        threading.Thread(target=self._admin, args=(function,), name=name, daemon=True).start()
        return _Response(status=202)


def build_request(request: Request, route_params: dict[str, str],
                  identity: list[tuple[str, str]] | None = None) -> func.HttpRequest:
    """The ``func.HttpRequest`` the function gets, converted as the host's ``ToRpcHttp`` does.

    - ``url``: scheme + Host header + path + the query string as sent (the path re-escaped the
      way ASP.NET prints ``Request.Path``);
    - ``params``: the query parsed as ASP.NET does (names case-insensitive, ``+`` is a space),
      repeated names joined with ",", and names whose value is empty dropped (``?top=``);
    - ``headers``: names lower-cased, repeated headers joined with ",";
    - ``body``: only when Content-Length > 0 (a chunked body without one arrives empty);
    - with App Service authentication on (``identity`` given, devhost/auth.py): the client's
      ``X-MS-CLIENT-PRINCIPAL*`` / ``X-MS-TOKEN-*`` headers removed, the platform's added.
    """
    environ = request.environ
    raw_path, _, raw_query = _raw_target(request).partition("?")
    host = next((v for k, v in environ.get(RAW_HEADERS, ()) if k.lower() == "host"), None) or request.host
    url = f"{request.scheme}://{host}{_aspnet_path(raw_path)}" + (f"?{raw_query}" if raw_query else "")
    body = request.get_data(cache=False)  # read it all either way, so the connection stays usable
    if not (request.content_length or 0) > 0:
        body = b""
    raw_headers = environ.get(RAW_HEADERS) or list(request.headers.items())
    if identity is not None:
        raw_headers = EasyAuth.strip(raw_headers) + identity
    return func.HttpRequest(
        method=request.method,
        url=url,
        headers=convert_headers(raw_headers),
        params=convert_query(raw_query),
        route_params=route_params,
        body=body,
    )


def convert_query(query: str) -> dict[str, str]:
    """ASP.NET's QueryFeature parse, then the host's "drop empty values" (values joined by ",")."""
    values: dict[str, list[str]] = {}
    names: dict[str, str] = {}  # lower-case -> the first spelling seen, like its OrdinalIgnoreCase map
    for pair in query.lstrip("?").split("&"):
        if not pair:
            continue
        name, eq, value = pair.partition("=")
        if eq:
            name = name.lstrip()
        key = names.setdefault(_unescape(name).lower(), _unescape(name))
        values.setdefault(key, []).append(_unescape(value))
    joined = {key: ",".join(vals) for key, vals in values.items()}
    return {key: value for key, value in joined.items() if value}


def convert_headers(raw: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased and repeated headers joined with "," (StringValues.ToString)."""
    merged: dict[str, list[str]] = {}
    for name, value in raw:
        merged.setdefault(name.lower(), []).append(value)
    return {name: ",".join(values) for name, values in merged.items()}


def _unescape(text: str) -> str:
    """Uri.UnescapeDataString after '+' -> ' ': bad UTF-8 escapes are left as they were."""
    text = text.replace("+", " ")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text


_PERCENT_2F = re.compile("%2f", re.IGNORECASE)
_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar, which PathString leaves unescaped


def _raw_target(request: Request) -> str:
    """The request target as the client sent it (WSGI's PATH_INFO has %2F decoded already)."""
    return request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path


def kestrel_path(raw_path: str) -> str:
    """The path the host routes on: Kestrel decodes every escape but %2F, so ``a%2Fb`` stays one
    segment and reaches the function as the route value ``a%2Fb`` (dotnet/aspnetcore#2655, #17864)."""
    parts = re.split("(%2f)", raw_path, flags=re.IGNORECASE)
    try:
        return "".join(part if i % 2 else unquote(part, errors="strict") for i, part in enumerate(parts))
    except UnicodeDecodeError:
        return raw_path


def _aspnet_path(raw_path: str) -> str:
    """``Request.Path`` as the host prints it: Kestrel decodes escapes (all but %2F) and
    PathString re-escapes what is not a path character, so ``%7E`` comes back as ``~``."""
    parts = _PERCENT_2F.split(raw_path)
    try:
        decoded = [unquote(part, errors="strict") for part in parts]
    except UnicodeDecodeError:
        return raw_path
    return "%2F".join(quote(part, safe=_PATH_SAFE) for part in decoded)


_DROPPED = {"content-length", "transfer-encoding", "connection"}


def to_wsgi_response(value: Any) -> Response:
    """Turn what the function returned into a response, as the worker's converter does: an
    HttpResponse, or a str (library http.py ``HttpResponseConverter.encode``; kept because a
    return value can't be refused at start, and it costs two lines). Anything else, None
    included, fails the invocation: the worker can't encode it."""
    if isinstance(value, str):
        return _Response(value, status=200, content_type="text/plain; charset=utf-8")
    if not isinstance(value, func.HttpResponse):
        raise TypeError(f'unable to encode outgoing TypedData: unsupported type "http" for Python type "{type(value).__name__}"')
    headers = Headers()
    for key, val in value.headers.items():
        if key.lower() not in _DROPPED:
            headers.add(key, val)
    if "content-type" not in headers:
        mimetype = value.mimetype or "text/plain"
        ct = f"{mimetype}; charset={value.charset}" if mimetype.startswith("text/") else mimetype
        headers["Content-Type"] = ct
    return _Response(value.get_body(), status=int(value.status_code), headers=headers)
