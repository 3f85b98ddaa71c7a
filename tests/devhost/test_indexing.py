"""devhost refuses, at start, an app that Azure's Python worker or host would not load.

The worker fails the WHOLE app (0 functions) when one function's parameters don't match its
bindings; the host drops functions with bad names or colliding routes. Both used to start fine
here and fail only the call, or not at all.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import typing
from collections.abc import Callable
from pathlib import Path

import azure.functions as func
import pytest

from devhost.host import DevHost
from devhost.validation import AppRefused, validate

ROOT = Path(__file__).resolve().parents[2]


def renamed_copy(tmp_path: Path) -> Path:
    """A module holding a copy of the real HTTP registration (functions/http.py) whose handler
    parameter is renamed from ``req`` to ``request``, and an app that registers it."""
    source = (ROOT / "functions" / "http.py").read_text()
    assert "def handler(req: func.HttpRequest)" in source and "respond(req," in source
    copy = (
        source.replace("from ._http import", "from functions._http import")
        .replace("(req: func.HttpRequest)", "(request: func.HttpRequest)")
        .replace("respond(req,", "respond(request,")
    )
    copy += "\napp = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)\napp.register_functions(bp)\n"
    (tmp_path / "renamed_account.py").write_text(copy)
    return tmp_path


RENAMED_MESSAGE = (
    "FunctionLoadError: cannot load the GetAccount function: the following parameters are declared in "
    "Python but not in function.json: {'request'}"
)


def test_a_renamed_handler_parameter_stops_devhost_like_the_worker(tmp_path: Path) -> None:
    """`python -m devhost` on the copy exits at once with the worker's message; nothing is served."""
    folder = renamed_copy(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "devhost", "--app", "renamed_account:app", "--port", "0", "--azurite", "no",
         "--settings", str(tmp_path / "none.json")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert RENAMED_MESSAGE in done.stderr
    assert "Worker failed to index functions" in done.stderr
    assert "devhost ready" not in done.stdout


def test_the_real_app_passes_every_load_rule() -> None:
    from function_app import app

    loaded = validate(app)
    names = {function.get_function_name() for function in loaded}
    from shared_code.api import operations

    queues_and_timers = {"Dispatch", "Send", "Scheduler", "ReceiveText", "NotifyFlow"}
    assert names == set(operations()) | {"Portal"} | queues_and_timers and len(loaded) == len(names)


def test_the_copy_is_refused_in_process_too(tmp_path: Path) -> None:
    path = renamed_copy(tmp_path) / "renamed_account.py"
    spec = importlib.util.spec_from_file_location("renamed_account", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(AppRefused) as refused:
        DevHost(module.app, port=0, host_json=None)
    assert RENAMED_MESSAGE in str(refused.value)


def refusal(build: Callable[[func.FunctionApp], None]) -> str:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    build(app)
    with pytest.raises(AppRefused) as refused:
        validate(app)
    return str(refused.value)


def test_duplicate_function_names() -> None:
    def build(app: func.FunctionApp) -> None:
        @app.route(route="a")
        def same(req: func.HttpRequest) -> str:
            return ""

        @app.function_name("same")
        @app.route(route="b")
        def other(req: func.HttpRequest) -> str:
            return ""

    assert "ValueError: Function same does not have a unique function name" in refusal(build)


def test_colliding_and_reserved_routes() -> None:
    def build(app: func.FunctionApp) -> None:
        @app.route(route="contacts/{id}", methods=["GET"])
        def first(req: func.HttpRequest) -> str:
            return ""

        @app.route(route="/Contacts/{id}/", methods=["GET", "DELETE"])  # same text, case and slashes aside
        def second(req: func.HttpRequest) -> str:
            return ""

        @app.route(route="contacts/{id}", methods=["POST"])  # no shared method: fine
        def third(req: func.HttpRequest) -> str:
            return ""

        @app.route(route="admin/tools")
        def tools(req: func.HttpRequest) -> str:
            return ""

    message = refusal(build)
    assert "The 'second' function is in error: The route specified conflicts with the route defined by function 'first'." in message
    assert "The 'tools' function is in error: The specified route conflicts with one or more built in routes." in message
    assert "'third'" not in message and "'first' function" not in message


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(
            lambda app: app.route(route="n")(returns_none),
            'cannot load the returns_none function: Python return annotation "NoneType" does not match binding type "http"',
            id="return-annotation-vs-$return",
        ),
        pytest.param(
            lambda app: app.route(route="o")(out_request),
            "binding req is declared to have the \"in\" direction in function.json, but its annotation is "
            "azure.functions.Out in Python",
            id="Out-on-the-trigger",
        ),
        pytest.param(
            lambda app: app.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")(queue_as_http),
            "'msg' binding type \"queueTrigger\" and dataType \"None\" in function.json do not match the corresponding "
            "function parameter's Python type annotation \"HttpRequest\"",
            id="annotation-the-binding-cannot-convert",
        ),
        pytest.param(
            lambda app: app.route(route="x")(optional_request),
            "binding req has invalid non-type annotation typing.Optional[azure.functions._http.HttpRequest]",
            id="non-type-annotation",
        ),
        pytest.param(
            lambda app: app.route(route="c")(unresolvable),
            "NameError: name 'NoSuchType' is not defined",
            id="annotation-that-does-not-resolve",
        ),
        pytest.param(
            lambda app: app.route(route="e")(extra_parameter),
            "the following parameters are declared in Python but not in function.json: {'page'}",
            id="extra-parameter-even-with-default",
        ),
        pytest.param(
            lambda app: app.route(route="u", trigger_arg_name="my_req")(underscored),
            "The 'underscored' function is in error: The binding name my_req is invalid.",
            id="binding-name-with-underscore",
        ),
    ],
)
def test_worker_and_host_binding_rules(build: Callable[[func.FunctionApp], None], expected: str) -> None:
    assert expected in refusal(build)


def returns_none(req: func.HttpRequest) -> None:
    return None


def out_request(req: func.Out[func.HttpRequest]) -> str:
    return ""


def queue_as_http(msg: func.HttpRequest) -> None:
    return None


def optional_request(req: typing.Optional[func.HttpRequest]) -> str:  # noqa: UP007 - the point of the test
    return ""


def unresolvable(req: NoSuchType) -> str:  # type: ignore[name-defined]  # noqa: F821
    return ""


def extra_parameter(req: func.HttpRequest, page: int = 1) -> str:
    return ""


def underscored(my_req: func.HttpRequest) -> str:
    return ""


def test_every_failing_function_is_reported_not_only_the_first() -> None:
    def build(app: func.FunctionApp) -> None:
        @app.route(route="a")
        def one(request: func.HttpRequest) -> str:
            return ""

        @app.route(route="b")
        def two(req: func.HttpRequest) -> None:
            return None

    message = refusal(build)
    assert "cannot load the one function" in message and "cannot load the two function" in message


def test_valid_forms_still_load() -> None:
    """Annotated or not, HttpResponse or str returns, any queue/timer return annotation (the
    worker checks it only for $return): all fine in Azure, and modelled here."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="g")
    def typed(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("")

    @app.route(route="s")
    def bare(req):  # noqa: ANN001, ANN202
        return "ok"

    @app.route(route="t")
    def text(req: func.HttpRequest) -> str:
        return "ok"

    @app.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
    def consume(msg: func.QueueMessage) -> int:  # type: ignore[return]
        pass

    @app.timer_trigger(schedule="0 * * * * *", arg_name="timer", use_monitor=False)
    def tick(timer) -> None:  # noqa: ANN001
        pass

    assert [f.get_function_name() for f in validate(app)] == ["typed", "bare", "text", "consume", "tick"]
