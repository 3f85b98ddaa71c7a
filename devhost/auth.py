"""App Service built-in authentication ("Easy Auth"), emulated for local runs.

In Azure the platform's authentication module sits in front of the app: ``/.auth/login/aad``
signs the user in with Microsoft Entra ID, ``/.auth/logout`` signs out, ``/.auth/me`` returns
the signed-in user's claims; on every other request it removes any ``X-MS-CLIENT-PRINCIPAL*``
/ ``X-MS-TOKEN-*`` header the client sent and adds its own for a signed-in user; and it tells the
app it is on with ``WEBSITE_AUTH_ENABLED`` (Microsoft Learn: "Authentication and authorization
in Azure App Service", "Work with user identities", "Environment variables and app settings
reference"). With ``unauthenticatedClientAction: AllowAnonymous`` it lets anonymous requests
through, which is how this app is configured (the API keeps its API keys).

devhost does the same, except that ``/.auth/login/aad`` is a local page that asks for an email
and signs you in as that user, with no password: it exists only in devhost (which is never
deployed), so the app has one code path for identity and no development switch to leave on.
The session is a cookie signed with a key made when devhost starts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import uuid
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

AUTH_ENABLED_SETTING = "WEBSITE_AUTH_ENABLED"
COOKIE = "devhost_auth_session"  # Easy Auth's own is AppServiceAuthSession
PREFIX = "/.auth/"
# What the platform strips from client requests and injects itself.
INJECTED = ("x-ms-client-principal", "x-ms-token-")
CLAIM_EMAIL = "preferred_username"
CLAIM_NAME = "name"
CLAIM_OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_CHARS = 254


def enable_for_worker(environ: "os._Environ[str] | dict[str, str]" = os.environ) -> None:
    """What App Service sets for the app when authentication is on."""
    environ[AUTH_ENABLED_SETTING] = "True"


def _safe_redirect(target: str | None) -> str:
    """Only paths of this site (the platform checks allowedExternalRedirectUrls; we allow none)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def principal_header(email: str, name: str, oid: str) -> str:
    """``X-MS-CLIENT-PRINCIPAL`` as the platform writes it: base64 of JSON claims."""
    data = {"auth_typ": "aad", "claims": [{"typ": CLAIM_EMAIL, "val": email}, {"typ": CLAIM_NAME, "val": name},
                                          {"typ": CLAIM_OID, "val": oid}],
            "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
            "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}
    return base64.b64encode(json.dumps(data).encode()).decode()


class EasyAuth:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    # -- the session cookie ------------------------------------------------------------------------
    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def _session(self, request: Request) -> dict[str, str] | None:
        raw = request.cookies.get(COOKIE, "")
        payload, _, mac = raw.rpartition(".")
        if not payload or not hmac.compare_digest(self._sign(payload), mac):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _cookie_value(self, email: str, name: str) -> str:
        oid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"devhost-user:{email}"))  # stable: CSRF tokens survive restarts
        payload = base64.urlsafe_b64encode(json.dumps({"email": email, "name": name, "oid": oid}).encode())
        text = payload.decode().rstrip("=")
        return f"{text}.{self._sign(text)}"

    # -- what every request to the app gets --------------------------------------------------------
    def identity_headers(self, request: Request) -> list[tuple[str, str]]:
        """The headers the platform adds for the signed-in user (none for anonymous requests)."""
        session = self._session(request)
        if not session:
            return []
        email, name, oid = session.get("email", ""), session.get("name", ""), session.get("oid", "")
        return [("X-MS-CLIENT-PRINCIPAL", principal_header(email, name, oid)), ("X-MS-CLIENT-PRINCIPAL-NAME", email),
                ("X-MS-CLIENT-PRINCIPAL-ID", oid), ("X-MS-CLIENT-PRINCIPAL-IDP", "aad")]

    @staticmethod
    def strip(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The client's headers without the ones only the platform may set."""
        return [(k, v) for k, v in headers if not k.lower().startswith(INJECTED)]

    # -- /.auth/* ------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/").lower()
        if path == "/.auth/login/aad":
            return self._login(request)
        if path == "/.auth/logout":
            target = _safe_redirect(request.args.get("post_logout_redirect_uri"))
            response = Response(status=302, headers={"Location": target})
            response.delete_cookie(COOKIE, path="/")
            return response
        if path == "/.auth/me":
            session = self._session(request)
            if not session:
                return Response(status=401)
            claims = [{"typ": CLAIM_EMAIL, "val": session["email"]}, {"typ": CLAIM_NAME, "val": session["name"]},
                      {"typ": CLAIM_OID, "val": session["oid"]}]
            body = [{"provider_name": "aad", "user_id": session["email"], "user_claims": claims}]
            return Response(json.dumps(body), status=200, content_type="application/json; charset=utf-8")
        return Response("devhost emulates /.auth/login/aad, /.auth/logout and /.auth/me only", status=404,
                        content_type="text/plain; charset=utf-8")

    def _login(self, request: Request) -> Response:
        if request.method == "POST":
            form = dict(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
            email = form.get("email", "").strip().lower()
            name = form.get("name", "").strip()[:100] or email.split("@")[0]
            target = _safe_redirect(form.get("post_login_redirect_uri"))
            if not _EMAIL.match(email) or len(email) > MAX_EMAIL_CHARS:
                return self._login_page(target, "Enter an email address such as ada@example.com.", email, 400)
            response = Response(status=302, headers={"Location": target})
            response.set_cookie(COOKIE, self._cookie_value(email, name), path="/", httponly=True, samesite="Lax")
            return response
        if request.method != "GET":
            return Response(status=405)
        return self._login_page(_safe_redirect(request.args.get("post_login_redirect_uri")))

    @staticmethod
    def _login_page(target: str, error: str = "", email: str = "", status: int = 200) -> Response:
        message = f'<p role="alert"><strong>{html.escape(error)}</strong></p>' if error else ""
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (development) · devhost</title></head>
<body><main>
<h1>Sign in (development)</h1>
<p>This page exists only under devhost: in Azure, Microsoft Entra ID signs you in. Enter any email
to act as that user.</p>
{message}
<form method="post" action="/.auth/login/aad">
<input type="hidden" name="post_login_redirect_uri" value="{html.escape(target)}">
<p><label for="email">Email</label><br><input id="email" name="email" type="email" required autofocus
 autocomplete="email" value="{html.escape(email)}"></p>
<p><label for="name">Name (optional)</label><br><input id="name" name="name" type="text" autocomplete="name"></p>
<p><button type="submit">Sign in</button></p>
</form>
</main></body></html>"""
        return Response(body, status=status, content_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store"})
