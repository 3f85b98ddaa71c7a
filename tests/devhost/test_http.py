"""HTTP triggers through a real server: routing precedence, request delivery, responses, errors.

Routes are what this app uses: literal segments and whole-segment ``{name}`` parameters. Route
constraints, optional/default/catch-all parameters and complex segments are refused at start
(tests/devhost/test_refusals.py)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import azure.functions as func
import pytest
import requests

from devhost.host import DevHost
from devhost.routes import Route, Router


def make_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    # Names chosen so alphabetical order would pick the WRONG function: precedence must decide.
    @app.route(route="contacts/{id}", methods=["GET"])
    def a_contact_by_id(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(f"by-id:{req.route_params['id']}")

    @app.route(route="contacts/contactnew", methods=["GET"])
    def z_contact_new(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("literal")

    @app.route(route="items/{id}", methods=["GET"])
    def item(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(f"item:{req.route_params['id']}")

    @app.route(route="echo/{kind}/{id}", methods=["POST", "PUT"])
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        payload = {
            "method": req.method,
            "url": req.url,
            "params": dict(req.params),
            "route": dict(req.route_params),
            "header": req.headers.get("x-custom"),
            "body": req.get_body().decode("utf-8"),
        }
        return func.HttpResponse(json.dumps(payload), status_code=201, mimetype="application/json")

    @app.route(route="redirect")
    def redirect(req: func.HttpRequest) -> func.HttpResponse:
        response = func.HttpResponse(status_code=302, headers={"Location": "/api/elsewhere"})
        response.headers.add_header("X-Multi", "one")
        response.headers.add_header("X-Multi", "two")
        return response

    @app.route(route="boom")
    def boom(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("secret-detail-xyz")

    @app.route(route="binary")
    def binary(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(b"\x00\x01binary", mimetype="application/octet-stream")

    @app.route(route="nothing")
    def nothing(req: func.HttpRequest):  # noqa: ANN202 - "-> None" would not even load in Azure
        return None

    @app.route(route="raw")
    def raw(req: func.HttpRequest):  # noqa: ANN202 - "-> bytes" would not load in Azure either
        return b"bytes"

    @app.route(route="text")
    def text(req: func.HttpRequest) -> str:
        return "plain text"

    return app


@pytest.fixture()
def dev(run_host: Callable[..., DevHost]) -> DevHost:
    return run_host(make_app())


def get(dev: DevHost, route: str, method: str = "GET", **kwargs: object) -> requests.Response:
    return requests.request(method, dev.url(route), timeout=10, **kwargs)  # type: ignore[arg-type]


def test_literal_segment_beats_parameter(dev: DevHost) -> None:
    assert get(dev, "contacts/contactnew").text == "literal"
    assert get(dev, "contacts/42").text == "by-id:42"


def test_a_parameter_is_exactly_one_segment(dev: DevHost) -> None:
    assert get(dev, "items/7").text == "item:7"
    assert get(dev, "items").status_code == 404
    assert get(dev, "items/7/8").status_code == 404
    assert get(dev, "items/a%2Fb").text == "item:a%2Fb"  # %2F is not a separator (Kestrel keeps it escaped)
    assert get(dev, "items/%0A").text == "item:\n"  # a segment of whitespace is still a segment


def test_matching_is_case_insensitive_and_ignores_trailing_slash(dev: DevHost) -> None:
    assert get(dev, "CONTACTS/ContactNew/").text == "literal"
    assert requests.get(dev.base_url + "/API/items/3", timeout=10).text == "item:3"


def test_request_is_delivered_whole(dev: DevHost) -> None:
    response = get(
        dev, "echo/things/12?x=1&x=2&y=h%C3%A9", "POST",
        headers={"X-Custom": "yes"}, data="body ✓".encode("utf-8"),
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    got = response.json()
    assert got["method"] == "POST"
    assert got["params"] == {"x": "1,2", "y": "hé"}  # repeated keys joined, like the host
    assert got["route"] == {"kind": "things", "id": "12"}
    assert got["header"] == "yes"
    assert got["body"] == "body ✓"
    assert got["url"].endswith("/api/echo/things/12?x=1&x=2&y=h%C3%A9")


def test_method_not_accepted_is_404_like_the_host(dev: DevHost) -> None:
    assert get(dev, "echo/things/12", "GET").status_code == 404
    assert get(dev, "items/1", "DELETE").status_code == 404
    assert get(dev, "nowhere").status_code == 404
    assert requests.get(dev.base_url + "/items/1", timeout=10).status_code == 404  # prefix required


def test_exception_is_500_without_leaking(dev: DevHost, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="devhost"):
        response = get(dev, "boom")
    assert response.status_code == 500
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "secret-detail-xyz" in caplog.text  # ...but the server log has it
    assert any(r.exc_info for r in caplog.records if "boom" in r.getMessage())


def test_response_headers_status_and_bodies(dev: DevHost) -> None:
    response = get(dev, "redirect", allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"] == "/api/elsewhere"
    assert response.raw.headers.getlist("X-Multi") == ["one", "two"]
    binary = get(dev, "binary")
    assert binary.content == b"\x00\x01binary"
    assert binary.headers["Content-Type"] == "application/octet-stream"
    assert (get(dev, "nothing").status_code, get(dev, "nothing").content) == (500, b"")  # the worker can't encode None
    assert (get(dev, "raw").status_code, get(dev, "raw").content) == (500, b"")  # ...nor bytes (HttpResponseConverter)
    plain = get(dev, "text")
    assert (plain.status_code, plain.text) == (200, "plain text")


def test_every_invocation_is_logged_once(dev: DevHost, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="devhost"):
        get(dev, "items/5")
    lines = [r.getMessage() for r in caplog.records if r.name == "devhost" and r.getMessage().startswith("item ")]
    assert len(lines) == 1
    assert "GET /api/items/5" in lines[0] and "200" in lines[0] and "ms" in lines[0]


def test_empty_route_prefix(run_host: Callable[..., DevHost], host_json: Callable[..., object]) -> None:
    dev = run_host(make_app(), host_json_path=host_json(route_prefix=""))
    assert requests.get(dev.base_url + "/items/3", timeout=10).text == "item:3"
    assert requests.get(dev.base_url + "/api/items/3", timeout=10).status_code == 404


def test_route_precedence_is_segment_by_segment() -> None:
    """WebJobsRouteBuilder.RouteComparison: at the first segment where two templates differ, a
    literal beats a parameter, whatever comes after (names would sort the other way)."""
    templates = {"a": "{x}/b/c", "b": "a/{y}/c", "c": "a/b/{z}", "d": "a/b/c"}
    router: Router[str] = Router(Route(t, None, name) for name, t in templates.items())

    def winner(path: str) -> str:
        found = router.resolve("GET", path)
        assert found is not None, path
        return found[0].target

    assert [winner(p) for p in ("/a/b/c", "/A/B/X", "/a/x/c", "/x/b/c")] == ["d", "c", "b", "a"]
    assert router.resolve("GET", "/a/b/c")[1] == {}
    assert router.resolve("GET", "/a/B/x")[1] == {"z": "x"}  # type: ignore[index]
    assert router.resolve("GET", "/a/b") is None


def test_a_method_no_route_of_the_path_accepts_falls_through() -> None:
    router: Router[str] = Router([Route("a/b", frozenset({"POST"}), "literal"), Route("a/{x}", None, "param")])
    assert router.resolve("POST", "/a/b")[0].target == "literal"  # type: ignore[index]
    assert router.resolve("GET", "/a/b")[0].target == "param"  # type: ignore[index]


def test_a_whitespace_segment_is_a_route_value_not_trimmed_away() -> None:
    """The host routes on the decoded path as it is: GET places/%0A is GetPlace with placeId
    "\n" (which the operation then refuses), not the list at places."""
    router: Router[str] = Router([Route("places", None, "list"), Route("places/{placeId}", None, "one")])
    assert router.resolve("GET", "/places/\n") == (Route("places/{placeId}", None, "one"), {"placeId": "\n"})
    assert router.resolve("GET", "/places/ ")[1] == {"placeId": " "}  # type: ignore[index]
    assert router.resolve("GET", "/places/")[0].target == "list"  # type: ignore[index]


def test_stop_waits_for_in_flight_requests(run_host: Callable[..., DevHost]) -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    entered = threading.Event()

    @app.route(route="slow")
    def slow(req: func.HttpRequest) -> str:
        entered.set()
        time.sleep(1.0)
        return "done"

    dev = run_host(app)
    result: dict[str, requests.Response] = {}
    client = threading.Thread(target=lambda: result.update(r=requests.get(dev.url("slow"), timeout=10)))
    client.start()
    assert entered.wait(5)
    started = time.monotonic()
    assert dev.stop(timeout=10) is True
    assert time.monotonic() - started >= 0.5  # it waited for the invocation
    client.join(5)
    assert (result["r"].status_code, result["r"].text) == (200, "done")
    with pytest.raises(requests.ConnectionError):
        requests.get(dev.url("slow"), timeout=2)  # no longer accepting
