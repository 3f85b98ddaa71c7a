"""Route <-> definition: every HTTP function of function_app.app is exactly one operation with
the same method and path (and the function's name as operationId), and every operation is a
function. Twilio's webhooks and the tracked review link are not connector operations."""

from __future__ import annotations

import json

from .helpers import NOT_OPERATIONS, ROOT, definition, operations, registered_http_functions


def test_routes_are_under_the_api_prefix() -> None:
    """The portal is at the site root (routePrefix ""), so every API function says api/ itself
    and every path of the definition is what it was; no portal page is under /api."""
    host = json.loads((ROOT / "host.json").read_text())
    assert host["extensions"]["http"]["routePrefix"] == ""
    from function_app import app

    app.functions_bindings = None
    try:
        routes = {f.get_function_name(): f.get_trigger().route for f in app.get_functions()
                  if getattr(f.get_trigger(), "route", None) is not None}
    finally:
        app.functions_bindings = None
    from shared_code.api import operations
    from shared_code.portal import pages

    assert {name: routes[name] for name in operations()} == {o.id: f"api/{o.route}" for o in operations().values()}
    assert set(routes) == set(operations()) | {"Portal"} and routes["Portal"] == "{*path}"  # tried last
    assert [p.id for p in pages().values() if p.route.lower().split("/")[0] == "api"] == []


def test_every_http_function_is_exactly_one_operation() -> None:
    functions = registered_http_functions()
    ops = [(m, p, op["operationId"]) for m, p, op in operations(definition())]
    problems = []
    for name, (method, path) in sorted(functions.items()):
        if name in NOT_OPERATIONS:
            assert not [o for o in ops if (o[0], o[1]) == (method, path)], f"{name} must not be an operation"
            continue
        same = [o for o in ops if (o[0], o[1]) == (method, path)]
        if len(same) != 1:
            problems.append(f"{name} ({method.upper()} {path}): {len(same)} operations")
        elif same[0][2] != name:
            problems.append(f"{name} ({method.upper()} {path}): operationId {same[0][2]}")
    assert problems == []


def test_every_operation_has_a_function() -> None:
    served = {(m, p) for m, p in registered_http_functions().values()}
    missing = [f"{op['operationId']} ({m.upper()} {p})" for m, p, op in operations(definition())
               if (m, p) not in served]
    assert missing == []


def test_the_excluded_functions_are_the_webhooks_and_the_link_only() -> None:
    functions = registered_http_functions()
    for name in NOT_OPERATIONS & set(functions):
        method, path = functions[name]
        assert path.startswith(("/api/twilio/", "/api/r/")), name
