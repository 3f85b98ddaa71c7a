"""The HTTP request a function gets, converted as the Functions host converts it (ToRpcHttp):
query params, headers, url and body."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable

import azure.functions as func
import pytest
import requests

from devhost.host import DevHost


def echo_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    def echo(req: func.HttpRequest) -> func.HttpResponse:
        seen = {
            "url": req.url,
            "params": dict(req.params),
            "headers": dict(req.headers),
            "route": dict(req.route_params),
            "body": req.get_body().decode("utf-8"),
        }
        return func.HttpResponse(json.dumps(seen), mimetype="application/json")

    app.function_name("echo")(app.route(route="echo/{a}", methods=["GET", "POST"])(echo))
    app.function_name("echo3")(app.route(route="echo/{a}/{b}/{c}", methods=["GET"])(echo))
    return app


@pytest.fixture()
def dev(run_host: Callable[..., DevHost]) -> DevHost:
    return run_host(echo_app())


def seen(dev: DevHost, target: str, method: str = "GET", headers: list[tuple[str, str]] = (), body: bytes | None = None,
         chunked: bool = False) -> dict:
    """Send a raw request (repeated headers, exact target) and return what the function saw."""
    connection = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_host=any(k.lower() == "host" for k, _ in headers))
        for name, value in headers:
            connection.putheader(name, value)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
        elif body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        if chunked and body is not None:
            connection.send(f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        elif body:
            connection.send(body)
        response = connection.getresponse()
        assert response.status == 200, response.read()
        return json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("top=", {}),  # an empty value: no parameter at all
        ("top=&search=ada", {"search": "ada"}),
        ("flag", {}),  # a bare name is an empty value too
        ("top=1&top=2", {"top": "1,2"}),  # repeated: joined with ","
        ("Top=1&top=2", {"Top": "1,2"}),  # names are case-insensitive; the first spelling stays
        ("top=&top=2", {"top": ",2"}),
        ("a+b=c+d%20e&x=%E2%9C%93", {"a b": "c d e", "x": "✓"}),
    ],
)
def test_query_params_as_the_host_builds_them(dev: DevHost, query: str, expected: dict[str, str]) -> None:
    assert seen(dev, f"/api/echo/q?{query}")["params"] == expected


def test_repeated_headers_are_joined_and_names_lower_cased(dev: DevHost) -> None:
    got = seen(dev, "/api/echo/h", headers=[("X-Tag", "a"), ("X-Tag", "b"), ("X-Empty", "")])["headers"]
    assert got["x-tag"] == "a,b"
    assert got["x-empty"] == ""  # empty header values are kept (only empty query values go)
    assert all(name == name.lower() for name in got)


def test_url_is_rebuilt_from_scheme_host_path_and_query(dev: DevHost) -> None:
    got = seen(dev, "/api/echo/caf%C3%A9/%7Euser/a%2Fb?x=%7E&y=1+2", headers=[("Host", "public.example:8443")])
    assert got["url"] == "http://public.example:8443/api/echo/caf%C3%A9/~user/a%2Fb?x=%7E&y=1+2"
    # Routed on the path Kestrel decodes: every escape but %2F, which stays in the route value.
    assert got["route"] == {"a": "café", "b": "~user", "c": "a%2Fb"}


def test_body_only_with_a_positive_content_length(dev: DevHost) -> None:
    assert seen(dev, "/api/echo/b", "POST", body=b"hello")["body"] == "hello"
    assert seen(dev, "/api/echo/b", "POST", body=b"")["body"] == ""
    # No Content-Length (chunked): the host passes no body at all.
    assert seen(dev, "/api/echo/b", "POST", body=b"chunked hello", chunked=True)["body"] == ""
    after = requests.post(dev.url("echo/b"), data=b"next", timeout=10)  # the connection pool is still fine
    assert after.json()["body"] == "next"


def test_the_app_reads_an_empty_top_as_no_top(api) -> None:  # noqa: ANN001
    """Power Automate may send `?top=`: in Azure that is no `top` at all, so the default page size."""
    assert api.post("contacts/contactnew", {"Phone": "+14155550101", "Name": "Ada"}).status_code == 200
    response = api.get("contacts?top=&search=")
    assert response.status_code == 200, response.text
    assert [c["Name"] for c in response.json()["Data"]] == ["Ada"]
    repeated = api.get("contacts?top=1&top=2")
    assert repeated.status_code == 400 and repeated.json()["Error"]["Field"] == "top"  # "1,2" is not a number
