"""The site root and App Service authentication, as this app uses them: the portal's catch-all
at the site root (host.json routePrefix ""), tried after the /api routes, and devhost's Easy
Auth emulation (/.auth/*, identity headers the client can't forge)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import azure.functions as func
import pytest
import requests

from devhost.host import DevHost
from devhost.routes import Route, Router
from tests.devhost.test_refusals import refusal


def make_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="{*path}", methods=["GET", "POST"])
    def portal(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(f"portal {req.method} route={dict(req.route_params)}")

    @app.route(route="keys/{keyId}", methods=["GET"])
    def a_key(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(f"key:{req.route_params['keyId']}")

    @app.route(route="keys/new", methods=["GET"])
    def z_new_key(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("new")

    @app.route(route="api/account", methods=["GET"])
    def api_account(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("api")

    @app.route(route="whoami", methods=["GET"])
    def whoami(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(json.dumps({k: v for k, v in req.headers.items() if k.startswith("x-ms-")}),
                                 mimetype="application/json")

    return app


@pytest.fixture()
def site(run_host: Callable[..., DevHost], host_json: Callable[..., object]) -> DevHost:
    return run_host(make_app(), host_json_path=host_json(route_prefix=""))


def test_the_catch_all_takes_the_root_and_whatever_no_other_route_takes(site: DevHost) -> None:
    assert requests.get(site.base_url + "/", timeout=10).text == "portal GET route={}"
    assert requests.get(site.base_url, timeout=10).text == "portal GET route={}"
    assert requests.get(site.base_url + "/team/x", timeout=10).text == "portal GET route={'path': 'team/x'}"
    assert requests.get(site.base_url + "/api/account", timeout=10).text == "api"  # literals first
    assert requests.get(site.base_url + "/keys/new", timeout=10).text == "new"  # literal beats parameter
    assert requests.get(site.base_url + "/keys/01ABC", timeout=10).text == "key:01ABC"  # parameter beats catch-all
    # a method the API route doesn't take falls through to the next route that matches: the catch-all
    assert requests.post(site.base_url + "/api/account", timeout=10).text == "portal POST route={'path': 'api/account'}"
    assert requests.delete(site.base_url + "/anything", timeout=10).status_code == 404


def test_the_router_puts_the_catch_all_last() -> None:
    router: Router[str] = Router([Route("{*path}", None, "all"), Route("{page}", None, "param"),
                                  Route("a/b/c", None, "deep")])
    assert router.resolve("GET", "")[0].target == "all"
    assert router.resolve("GET", "/about")[0].target == "param"
    assert router.resolve("GET", "/a/b/c")[0].target == "deep"
    assert router.resolve("GET", "/a/b/d") == (router.resolve("GET", "/a/b/d")[0], {"path": "a/b/d"})


@pytest.mark.parametrize(("route", "what"), [
    ("files/{*rest}", "the route segment '{*rest}'"),
    ("{ignored:maxlength(0)?}", "the route segment '{ignored:maxlength(0)?}'"),
    ("{page?}", "the route segment '{page?}'"),
])
def test_other_optional_or_constrained_routes_are_still_refused(route: str, what: str) -> None:
    def build(app: func.FunctionApp) -> None:
        @app.route(route=route)
        def handler(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("")

    assert what in refusal(build)


def test_a_route_under_dot_auth_is_refused() -> None:
    def build(app: func.FunctionApp) -> None:
        @app.route(route=".auth/me")
        def handler(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("")

    assert "is under /.auth, which App Service authentication answers before the app" in refusal(build)


def test_the_platform_sets_website_auth_enabled(site: DevHost) -> None:
    import os

    assert os.environ["WEBSITE_AUTH_ENABLED"] == "True"


def test_sign_in_injects_the_principal_and_strips_the_clients(site: DevHost) -> None:
    forged = {"X-MS-CLIENT-PRINCIPAL": "Zm9yZ2Vk", "X-MS-CLIENT-PRINCIPAL-NAME": "boss@shop.example",
              "X-MS-TOKEN-AAD-ID-TOKEN": "forged"}
    anonymous = requests.get(site.base_url + "/whoami", headers=forged, timeout=10).json()
    assert anonymous == {}
    session = requests.Session()
    signed = session.post(site.base_url + "/.auth/login/aad", allow_redirects=False, timeout=10,
                          data={"email": "Ada@Shop.example", "name": "Ada", "post_login_redirect_uri": "/whoami"})
    assert (signed.status_code, signed.headers["Location"]) == (302, "/whoami")
    seen = session.get(site.base_url + "/whoami", headers=forged, timeout=10).json()
    assert seen["x-ms-client-principal-name"] == "ada@shop.example"
    assert "x-ms-token-aad-id-token" not in seen
    claims = json.loads(base64.b64decode(seen["x-ms-client-principal"]))
    assert {"typ": "preferred_username", "val": "ada@shop.example"} in claims["claims"]
    me = session.get(site.base_url + "/.auth/me", timeout=10).json()
    assert me[0]["user_id"] == "ada@shop.example"
    session.get(site.base_url + "/.auth/logout", timeout=10)
    assert session.get(site.base_url + "/whoami", timeout=10).json() == {}
    assert session.get(site.base_url + "/.auth/me", timeout=10).status_code == 401


def test_a_tampered_session_cookie_signs_nobody_in(site: DevHost) -> None:
    session = requests.Session()
    session.post(site.base_url + "/.auth/login/aad", data={"email": "ada@shop.example"}, timeout=10)
    value = session.cookies.get("devhost_auth_session")
    payload, mac = value.rsplit(".", 1)
    other = base64.urlsafe_b64encode(json.dumps({"email": "boss@shop.example", "name": "B", "oid": "x"}).encode())
    assert session.get(site.base_url + "/whoami", timeout=10).json() != {}
    tampered = requests.get(site.base_url + "/whoami", timeout=10,
                            headers={"Cookie": f"devhost_auth_session={other.decode().rstrip('=')}.{mac}"})
    assert tampered.json() == {}


def test_redirects_after_sign_in_stay_on_the_site(site: DevHost) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = requests.post(site.base_url + "/.auth/login/aad", allow_redirects=False, timeout=10,
                                 data={"email": "ada@shop.example", "post_login_redirect_uri": target})
        assert response.headers["Location"] == "/", target
