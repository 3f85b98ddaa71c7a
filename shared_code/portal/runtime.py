"""Runs a portal page for a request: who is signed in, the same-origin and CSRF checks on every
POST, the current account, the handler, and the security headers on every answer. An
``ApiError`` the handler does not catch becomes an error page with the API's status and words.

A handler takes a :class:`View` and returns what one of its methods makes: ``render`` (a
template), ``redirect`` (303, with a flash message for the next page) or ``json`` (small fetch
endpoints of portal.js).
"""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from dataclasses import replace
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from ..common.errors import ApiError, Unauthorized, ValidationFailed
from ..common.ids import new_id
from ..web.request import ApiRequest, ApiResponse
from .identity import LOGIN_PATH, LOGOUT_PATH, User, auth_enabled, current_user
from .security import CSRF_FIELD, CSRF_HEADER, HEADERS, PAGE_CACHE, check_csrf, check_same_origin, csrf_token
from .site import Page, site

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..accounts.models import Account, Caller
    from ..web.multipart import FilePart

log = logging.getLogger("powertextor.portal")
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
ACCOUNT_COOKIE = "ptx_account"
FLASH_COOKIE = "ptx_flash"
MAX_FLASH_CHARS = 300
MAX_FORM_BYTES = 10 * 1024 * 1024  # CSV imports are the largest form the portal takes
HTML = "text/html; charset=utf-8"


class NoAccount(Exception):
    """The page needs an account and the user administers none: home offers to create one."""


@dataclass
class View:
    """What a page handler works with. ``caller`` is what the services take (scoped to the
    current account, acting as the signed-in user); ``query``/``form`` are plain strings, the
    form already CSRF-checked; ``files`` are multipart uploads."""

    request: ApiRequest
    page: Page
    user: User
    accounts: list[Account]
    account: Account | None
    query: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)
    flash_message: str | None = None
    cookies: list[str] = field(default_factory=list)

    @property
    def caller(self) -> Caller:
        from ..accounts.models import Caller

        if self.account is None:
            raise NoAccount()
        return Caller.signed_in(self.account, self.user.email)

    @property
    def csrf(self) -> str:
        return csrf_token(self.user.object_id)

    def route(self, name: str) -> str:
        for k, v in self.request.route.items():
            if k.lower() == name.lower():
                return v
        raise ValidationFailed(f"{name} is missing from the path.", field=name)

    # -- answers --------------------------------------------------------------------------------
    def render(self, template: str, status: int = 200, **ctx: Any) -> ApiResponse:
        body = environment().get_template(template).render(view=self, nav=site.nav(), **ctx)
        return ApiResponse(status, body.encode(), {"Content-Type": HTML}, list(self.cookies))

    def redirect(self, path: str, flash: str | None = None) -> ApiResponse:
        """303 to a path of this site (never elsewhere), with ``flash`` shown on the next page."""
        if not path.startswith("/") or path.startswith("//") or "\\" in path:
            raise ValueError(f"redirect to {path!r}: only paths of this site")
        cookies = list(self.cookies)
        if flash:
            cookies.append(cookie(self.request, FLASH_COOKIE, _encode(flash[:MAX_FLASH_CHARS])))
        return ApiResponse(303, b"", {"Location": path}, cookies)

    def json(self, data: Any, status: int = 200) -> ApiResponse:
        return ApiResponse(status, json.dumps(data, default=str).encode(),
                           {"Content-Type": "application/json; charset=utf-8"}, list(self.cookies))

    @staticmethod
    def errors_from(err: ApiError) -> dict[str, str]:
        """The API's message next to the field it names (``_form`` when it names none)."""
        return {(err.field or "_form").split(".")[0].split("[")[0]: err.message}

    def set_account(self, account_id: str) -> None:
        self.cookies.append(cookie(self.request, ACCOUNT_COOKIE, account_id))


def validated(model: type[BaseModel], values: dict[str, Any], where: str = "") -> Any:
    """A form or query as the API's request model (its limits, its words): a bad value is the
    API's ValidationFailed, naming the field (``where``: the form's name for an unnamed one),
    which the page shows next to that field or as its error page."""
    from pydantic import ValidationError

    from ..web.runtime import validation_error

    try:
        return model.model_validate(values)
    except ValidationError as err:
        raise validation_error(err, where) from err


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment (imported on first render, never while the app is indexed):
    autoescape on for .html, so every user string is text unless a template says otherwise."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    from .assets import static_url

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(static_url=static_url, logout_path=LOGOUT_PATH, csrf_field=CSRF_FIELD)
    return env


# -- cookies ------------------------------------------------------------------------------------------
def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _local(req: ApiRequest) -> bool:
    host = (req.header("Host") or urlsplit(req.url).netloc).rsplit(":", 1)[0].strip("[]").lower()
    return host in ("127.0.0.1", "localhost", "::1")


def cookie(req: ApiRequest, name: str, value: str, *, max_age: int | None = None) -> str:
    """HttpOnly, SameSite=Lax, Secure (but on 127.0.0.1 / localhost, served over plain http)."""
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if not _local(req):
        parts.append("Secure")
    return "; ".join(parts)


def read_cookies(req: ApiRequest) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (req.header("Cookie") or "").split(";"):
        name, eq, value = part.strip().partition("=")
        if eq and name:
            out.setdefault(name, value)
    return out


# -- requests ------------------------------------------------------------------------------------------
def _form(req: ApiRequest) -> tuple[dict[str, str], dict[str, FilePart]]:
    ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        from ..web.multipart import read_form

        return read_form(req, None, None)
    if ctype in ("", "application/x-www-form-urlencoded"):
        try:
            text = req.body.decode()
        except UnicodeDecodeError as err:
            raise ValidationFailed("The form is not UTF-8.", code="InvalidForm") from err
        return dict(parse_qsl(text, keep_blank_values=True)), {}
    if ctype == "application/json":
        try:
            data = json.loads(req.body or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValidationFailed(f"The body is not valid JSON: {err}.", code="InvalidJson") from err
        if not isinstance(data, dict):
            raise ValidationFailed("The body must be a JSON object.", code="InvalidJson")
        return {str(k): "" if v is None else str(v) for k, v in data.items()}, {}
    from ..common.errors import UnsupportedMediaType

    raise UnsupportedMediaType(f"Send the form as application/x-www-form-urlencoded or multipart/form-data "
                               f"(got {ctype}).")


def _current_account(req: ApiRequest, accounts: list[Account]) -> Account | None:
    """The account chosen with the switcher (a cookie), if the user still administers it; else
    their first. A cookie naming someone else's account picks nothing of theirs."""
    chosen = read_cookies(req).get(ACCOUNT_COOKIE)
    return next((a for a in accounts if a.AccountId == chosen), accounts[0] if accounts else None)


def _wants_json(req: ApiRequest) -> bool:
    return bool(req.header(CSRF_HEADER)) or "application/json" in (req.header("Accept") or "")


def _login_redirect(req: ApiRequest) -> ApiResponse:
    parts = urlsplit(req.url)
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    return ApiResponse(302, b"", {"Location": f"{LOGIN_PATH}?post_login_redirect_uri={quote(back, safe='')}"})


def error_page(req: ApiRequest, err: ApiError, user: User | None = None) -> ApiResponse:
    if _wants_json(req):
        from ..web.envelope import dumps, envelope

        return ApiResponse(err.status, dumps(envelope(None, err)), {"Content-Type": "application/json; charset=utf-8"})
    try:
        body = environment().get_template("error.html").render(status=err.status, message=err.message, user=user,
                                                                code=err.code, login_path=LOGIN_PATH)
    except Exception:  # noqa: BLE001 - the error page itself must not fail
        log.exception("the error page failed")
        body = f"<!doctype html><title>Error</title><p>{err.status}</p>"
    return ApiResponse(err.status, body.encode(), {"Content-Type": HTML})


def _run(page: Page, req: ApiRequest) -> ApiResponse:
    if page.public:
        return page.handler(req)
    if not auth_enabled():
        err = ApiError("Sign-in is not set up on this deployment: enable App Service authentication "
                       "(see infra/README.md).", code="SignInNotConfigured")
        err.status = 503
        raise err
    user = current_user(req)
    if user is None:
        if req.method.upper() == "GET":
            return _login_redirect(req)
        raise Unauthorized("You are signed out. Sign in and try again.", code="SignedOut")
    form: dict[str, str] = {}
    files: dict[str, Any] = {}
    if req.method.upper() != "GET":
        check_same_origin(req)
        if len(req.body) > MAX_FORM_BYTES:
            from ..common.errors import PayloadTooLarge

            raise PayloadTooLarge(f"The form is over {MAX_FORM_BYTES // (1024 * 1024)} MB.")
        form, files = _form(req)
        check_csrf(user.object_id, req.header(CSRF_HEADER) or form.pop(CSRF_FIELD, None))
    from ..accounts.accounts import accounts_for

    accounts = accounts_for(user.email)
    account = _current_account(req, accounts)
    flash = None
    cookies: list[str] = []
    if req.method.upper() == "GET" and not _wants_json(req):
        raw = read_cookies(req).get(FLASH_COOKIE)
        if raw:
            flash = _decode(raw)
            cookies.append(cookie(req, FLASH_COOKIE, "", max_age=0))
    view = View(req, page, user, accounts, account, dict(req.params), form, files, flash, cookies)
    if page.account and account is None:
        if req.method.upper() == "GET" and page.route:
            return view.redirect("/")
        raise NoAccount()
    return page.handler(view)


API_PREFIX = "api"


def dispatch(req: ApiRequest) -> ApiResponse:
    """The one portal function's request: find the page (site.resolve, the host's precedence)
    and run it. A path under /api reaches here only when no API route took it (an unknown path,
    or a method the operation doesn't take): it gets the bare 404 the host gave before the
    portal existed, never a page."""
    from . import pages

    pages()  # the page modules declare themselves on first use, not while the app is indexed
    raw = urlsplit(req.url).path
    segments = [unquote(s) for s in raw.strip("/").split("/")] if raw.strip("/") else []
    if segments and segments[0].lower() == API_PREFIX:
        return ApiResponse(404, b"")
    found = site.resolve(req.method, segments) if "" not in segments else None
    if found is None:
        response = error_page(req, _not_found(raw))
        _secure(response, new_id())
        return response
    page, values = found
    return execute(page, replace(req, route=values))


def _not_found(path: str) -> ApiError:
    from ..common.errors import NotFound

    return NotFound(f"There is no page {path} here.", code="PageNotFound")


def _secure(response: ApiResponse, request_id: str) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", PAGE_CACHE)
    response.headers["x-request-id"] = request_id


def execute(page: Page, req: ApiRequest) -> ApiResponse:
    started = time.perf_counter()
    request_id = new_id()
    try:
        response = _run(page, req)
        if not isinstance(response, ApiResponse):
            raise TypeError(f"page {page.id} returned {type(response).__name__}, not a View answer")
    except NoAccount:
        response = error_page(req, ApiError("Create your business's account first.", code="NoAccount"))
        response.status = 409
    except ApiError as err:
        response = error_page(req, err, current_user(req))
    except Exception:  # noqa: BLE001 - never a stack trace to the browser
        log.exception("page %s failed (request %s)", page.id, request_id)
        err = ApiError(f"Something went wrong on our side (request {request_id}). Try again.", code="InternalError")
        err.status = 500
        response = error_page(req, err)
    _secure(response, request_id)
    log.info("%s %s -> %s in %.0f ms (page %s)", req.method, urlsplit(req.url).path, response.status,
             (time.perf_counter() - started) * 1000, page.id)
    return response
