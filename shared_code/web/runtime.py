"""Runs an endpoint for a request: limits, API-key auth, parsing into pydantic models, the
envelope, and mapping every error to a 4xx (or a bare 500 without internals)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ValidationError

from ..common.config import get_settings
from ..common.errors import (ApiError, InternalError, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
                             ValidationFailed)
from ..common.ids import new_id
from ..accounts.models import Caller
from ..common.paging import Page
from .envelope import dumps, envelope
from .ratelimit import AuthGuard, RateLimiter, client_address
from .request import ApiRequest, ApiResponse, Result

log = logging.getLogger("powertextor.api")
_limiter: RateLimiter | None = None
_auth_guard = AuthGuard()


@dataclass(frozen=True)
class Call:
    """What an endpoint receives: the caller, parsed body and query, route values, request."""

    request: ApiRequest
    caller: Caller | None
    body: Any = None
    query: Any = None

    def route(self, name: str) -> str:
        for k, v in self.request.route.items():
            if k.lower() == name.lower():
                return v
        raise ValidationFailed(f"{name} is missing from the path.", field=name)


@dataclass(frozen=True)
class Endpoint:
    fn: Callable[[Call], Any]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    auth: bool = True
    status: int = 200
    max_body: int | None = None  # None: the MAX_BODY_BYTES setting


def endpoint(*, body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             auth: bool = True, status: int = 200,
             max_body: int | None = None) -> Callable[[Callable[[Call], Any]], Endpoint]:
    def wrap(fn: Callable[[Call], Any]) -> Endpoint:
        return Endpoint(fn, body, query, auth, status, max_body)
    return wrap


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def validation_error(err: ValidationError, where: str = "") -> ValidationFailed:
    problems = err.errors(include_url=False)
    fields = [_field(p["loc"]) for p in problems]
    parts = [f"{f}: {p['msg']}" for f, p in zip(fields, problems)]
    prefix = f"Invalid {where}: " if where else ""
    return ValidationFailed(prefix + "; ".join(parts) + ".", field=fields[0] if fields else None)


def parse_body(model: type[BaseModel], req: ApiRequest) -> BaseModel:
    ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
    if req.body.strip() and ctype and not (ctype == "application/json" or ctype.endswith("+json")
                                           or ctype == "text/json"):
        raise UnsupportedMediaType(f"Send the body as application/json (got {ctype}).")
    if not req.body.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(req.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValidationFailed(f"The body is not valid JSON: {err}.", code="InvalidJson") from err
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object.", code="InvalidJson")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise validation_error(err) from err


def parse_query(model: type[BaseModel], req: ApiRequest) -> BaseModel:
    params = {k.lstrip("$"): v for k, v in req.params.items()}
    try:
        return model.model_validate(params)
    except ValidationError as err:
        raise validation_error(err, "query") from err


def self_link(req: ApiRequest, name: str, value: str) -> str:
    """This request's URL on the public host, with query value ``name`` set to ``value``
    (paging NextLinks, polling-trigger Locations)."""
    from ..common.urls import public_request_url

    parts = urlsplit(public_request_url(req.url))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lstrip("$") != name]
    return urlunsplit(parts._replace(query=urlencode([*query, (name, value)])))


def public_link(req: ApiRequest, path: str) -> str:
    """An absolute URL for ``path`` (e.g. "/api/twilio/ID") on PUBLIC_BASE_URL, else on the
    scheme and host the caller used."""
    from ..common.urls import public_url

    return public_url(path, req.url) or path


def _next_link(req: ApiRequest, token: str) -> str:
    return self_link(req, "skiptoken", token)


def _render(result: Any, ep: Endpoint, req: ApiRequest) -> ApiResponse:
    if isinstance(result, ApiResponse):  # a non-JSON answer (TwiML for Twilio's webhook)
        return result
    if isinstance(result, Page):
        result = Result(result.items, next_token=result.next_token)
    if not isinstance(result, Result):
        result = Result(result)
    extra = {"NextLink": _next_link(req, result.next_token)} if result.next_token else {}
    return ApiResponse(result.status or ep.status, dumps(envelope(result.data, **extra)), dict(result.headers))


def error_response(err: ApiError) -> ApiResponse:
    return ApiResponse(err.status, dumps(envelope(None, err)), dict(err.headers))


def _authenticate(req: ApiRequest) -> Caller:
    """The caller, with guesses rate-limited: the key id's and the address's failure budget is
    checked before the secret is, and every wrong or unknown key spends from both."""
    from ..accounts.keys import authenticate, parse_key

    text = req.header("ApiKey")
    parsed = parse_key(text) if text else None
    key_id, address = (parsed[0] if parsed else None), client_address(req.header("X-Forwarded-For"))
    _auth_guard.check(key_id, address)
    try:
        return authenticate(text)
    except Unauthorized as err:
        if err.code == "ApiKeyInvalid":  # a guess; revoked/expired keys proved their secret
            _auth_guard.failed(key_id, address)
        raise


def execute(ep: Endpoint, req: ApiRequest) -> ApiResponse:
    global _limiter
    started = time.perf_counter()
    request_id = new_id()
    caller: Caller | None = None
    try:
        settings = get_settings()
        limit = ep.max_body or settings.max_body_bytes
        if len(req.body) > limit:
            raise PayloadTooLarge(f"The body is over {limit} bytes.")
        if ep.auth:
            caller = _authenticate(req)
            if _limiter is None or _limiter.per_minute != settings.rate_limit_per_minute:
                _limiter = RateLimiter(settings.rate_limit_per_minute)
            _limiter.check(caller.key.KeyId)
        body = parse_body(ep.body, req) if ep.body else None
        query = parse_query(ep.query, req) if ep.query else None
        response = _render(ep.fn(Call(req, caller, body, query)), ep, req)
    except ApiError as err:
        response = error_response(err)
    except Exception:  # noqa: BLE001 - never a stack trace to the caller
        log.exception("request %s failed: %s %s", request_id, req.method, urlsplit(req.url).path)
        response = error_response(InternalError(f"Something went wrong on our side (request {request_id}). Try again."))
    response.headers.setdefault("Content-Type", "application/json; charset=utf-8")
    response.headers["x-request-id"] = request_id
    log.info("%s %s -> %s in %.0f ms (account %s)", req.method, urlsplit(req.url).path, response.status,
             (time.perf_counter() - started) * 1000, caller.account_id if caller else "-")
    return response
