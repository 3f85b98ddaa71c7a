"""Who is signed in, as App Service built-in authentication ("Easy Auth") tells the app.

The platform's authentication module signs users in with Microsoft Entra ID and forwards each
request with ``X-MS-CLIENT-PRINCIPAL`` (base64 JSON: ``auth_typ``, ``claims`` [{typ, val}],
``name_typ``, ``role_typ``), ``X-MS-CLIENT-PRINCIPAL-NAME`` and ``-ID``, after removing any such
header the client sent. Those headers are trusted only when the platform says the module is on:
``WEBSITE_AUTH_ENABLED`` (read-only, injected by App Service when authentication is enabled;
App Service "Environment variables and app settings reference"). Without it, anybody could
send the headers, so they are ignored and nobody is signed in.

Locally, devhost emulates the module (devhost/auth.py): it sets ``WEBSITE_AUTH_ENABLED``, signs
a developer in with an email and injects the same headers. This module is the one code path
for both; there is no development switch in the app.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass

from ..web.request import ApiRequest

AUTH_ENABLED_SETTING = "WEBSITE_AUTH_ENABLED"
PRINCIPAL_HEADER = "X-MS-CLIENT-PRINCIPAL"
NAME_HEADER = "X-MS-CLIENT-PRINCIPAL-NAME"
ID_HEADER = "X-MS-CLIENT-PRINCIPAL-ID"
LOGIN_PATH = "/.auth/login/aad"
LOGOUT_PATH = "/.auth/logout"
MAX_EMAIL_CHARS = 254
# Entra ID claim types that carry the user's sign-in address, best first, and the object id.
EMAIL_CLAIMS = ("preferred_username", "email", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "upn")
NAME_CLAIMS = ("name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name")
OID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")


@dataclass(frozen=True)
class User:
    """The signed-in person: sign-in address (lower-cased: admins are listed by it), display
    name and Entra object id (the CSRF token is bound to it)."""

    email: str
    name: str
    object_id: str


def auth_enabled() -> bool:
    return os.environ.get(AUTH_ENABLED_SETTING, "").strip().lower() == "true"


def _claims(header: str) -> dict[str, str]:
    try:
        data = json.loads(base64.b64decode(header + "=" * (-len(header) % 4), validate=False))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return {}
    out: dict[str, str] = {}
    if isinstance(data, dict) and isinstance(data.get("claims"), list):
        for claim in data["claims"]:
            if isinstance(claim, dict) and isinstance(claim.get("typ"), str) and isinstance(claim.get("val"), str):
                out.setdefault(claim["typ"], claim["val"])
    return out


def current_user(req: ApiRequest) -> User | None:
    """The signed-in user, or None (not signed in, or the platform's authentication is off)."""
    if not auth_enabled():
        return None
    header = req.header(PRINCIPAL_HEADER)
    claims = _claims(header) if header else {}
    email = next((claims[t] for t in EMAIL_CLAIMS if claims.get(t)), None) or req.header(NAME_HEADER) or ""
    email = email.strip().lower()
    if not email or "@" not in email or len(email) > MAX_EMAIL_CHARS:
        return None
    name = next((claims[t] for t in NAME_CLAIMS if claims.get(t)), "") or email
    object_id = next((claims[t] for t in OID_CLAIMS if claims.get(t)), "") or req.header(ID_HEADER) or email
    return User(email=email, name=name.strip()[:100], object_id=object_id.strip())
