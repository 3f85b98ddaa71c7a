"""How pages are declared and found: the one portal function and the page registry agree, pages
resolve with the host's precedence, and the declarations refuse what would break routing."""

from __future__ import annotations

import pytest

from shared_code.portal.site import Site


def test_the_portal_function_is_the_registrys() -> None:
    import importlib

    declared = importlib.import_module("shared_code.portal.site")  # the module (the package exports the Site as "site")
    from functions import portal as function

    assert (function.FUNCTION_NAME, function.FUNCTION_ROUTE) == (declared.FUNCTION_NAME, declared.FUNCTION_ROUTE)


def test_literal_segments_win_over_parameters_whatever_the_declaration_order() -> None:
    s = Site()
    s.add("GET", "keys/{keyId}", "Key", lambda v: v)
    s.add("GET", "keys/new", "NewKey", lambda v: v)
    s.add("POST", "keys/{keyId}", "SaveKey", lambda v: v)
    assert s.resolve("GET", ["keys", "NEW"])[0].id == "NewKey"  # case-insensitive, as the host
    assert s.resolve("GET", ["keys", "01ABC"]) == (s.find("Key"), {"keyId": "01ABC"})
    assert s.resolve("POST", ["keys", "01ABC"])[0].id == "SaveKey"
    assert s.resolve("DELETE", ["keys", "01ABC"]) is None and s.resolve("GET", ["keys"]) is None


@pytest.mark.parametrize("route", ["api/x", "API", ".auth/me", "admins", "administer/x", "runtime/y"])
def test_reserved_routes_are_refused(route: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        Site().add("GET", route, "P", lambda v: v)


def test_two_pages_on_one_route_and_method_are_refused() -> None:
    s = Site()
    s.add("GET", "contacts/{id}", "A", lambda v: v)
    with pytest.raises(ValueError, match="is the route of page A"):
        s.add("GET", "contacts/{contactId}", "B", lambda v: v)


def test_every_declared_page_resolves_to_itself() -> None:
    from shared_code.portal import pages, site

    for page in pages().values():
        segments = [("x1" if part is None else part) for part in page.segments]
        assert site.resolve(page.method, segments)[0] is page, page.id


def test_an_unknown_path_is_the_portals_404_and_an_unknown_api_path_the_hosts(host) -> None:  # noqa: ANN001
    import requests

    page = requests.get(f"{host.base_url}/no/such/page", timeout=30)
    assert page.status_code == 404 and "There is no page /no/such/page here." in page.text
    assert page.headers["X-Frame-Options"] == "DENY"
    for method, path in (("GET", "/api/nope"), ("POST", "/api/account"), ("GET", "/api")):
        answer = requests.request(method, f"{host.base_url}{path}", timeout=30)
        assert (answer.status_code, answer.content) == (404, b""), (method, path)
