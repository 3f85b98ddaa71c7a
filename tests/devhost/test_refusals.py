"""devhost models only what this app uses; everything else that Azure supports is refused at
start with what to extend, instead of running differently from Azure (each of these apps loads
in Azure — devhost used to start them and run its own approximation, or ignore the feature)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import azure.functions as func
import pytest
import requests

from devhost.host import DevHost
from devhost.validation import AppRefused

ROOT = Path(__file__).resolve().parents[2]
App = Callable[[func.FunctionApp], None]


def refusal(build: App) -> str:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    build(app)
    with pytest.raises(AppRefused) as refused:
        DevHost(app, port=0, host_json=None)
    return str(refused.value)


def expected(what: str, module: str) -> str:
    return f"devhost does not model {what}, which Azure supports; this app doesn't use it — extend devhost/{module} first"


def http(route: str, **kwargs: object) -> App:
    def build(app: func.FunctionApp) -> None:
        @app.route(route=route, **kwargs)  # type: ignore[arg-type]
        def handler(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("")

    return build


def timer(schedule: str = "0 * * * * *", **kwargs: object) -> App:
    def build(app: func.FunctionApp) -> None:
        @app.timer_trigger(schedule=schedule, arg_name="timer", **kwargs)  # type: ignore[arg-type]
        def tick(timer: func.TimerRequest) -> None:
            pass

    return build


def queue(**kwargs: object) -> App:
    settings: dict[str, object] = {"queue_name": "q", "connection": "AzureWebJobsStorage", **kwargs}

    def build(app: func.FunctionApp) -> None:
        @app.queue_trigger(arg_name="msg", **settings)  # type: ignore[arg-type]
        def consume(msg: func.QueueMessage) -> None:
            pass

    return build


def async_function(app: func.FunctionApp) -> None:
    @app.route(route="a")
    async def handler(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("")


def context_parameter(app: func.FunctionApp) -> None:
    @app.route(route="c")
    def handler(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
        return func.HttpResponse(context.function_name)


def http_out_parameter(app: func.FunctionApp) -> None:
    @app.route(route="o", binding_arg_name="res")
    def handler(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
        res.set(func.HttpResponse(""))


def queue_output(app: func.FunctionApp) -> None:
    @app.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
    @app.queue_output(arg_name="out", queue_name="o", connection="AzureWebJobsStorage")
    def relay(msg: func.QueueMessage, out: func.Out[str]) -> None:
        out.set("x")


def blob_trigger(app: func.FunctionApp) -> None:
    @app.blob_trigger(arg_name="blob", path="c/{name}", connection="AzureWebJobsStorage")
    def on_blob(blob: func.InputStream) -> None:
        pass


def retry_policy(app: func.FunctionApp) -> None:
    @app.retry(strategy="fixed_delay", max_retry_count="3", delay_interval="00:00:01")
    @app.timer_trigger(schedule="0 * * * * *", arg_name="timer", use_monitor=False)
    def tick(timer: func.TimerRequest) -> None:
        pass


def str_queue_parameter(app: func.FunctionApp) -> None:
    @app.queue_trigger(arg_name="msg", queue_name="q", connection="AzureWebJobsStorage")
    def consume(msg: str) -> None:
        pass


@pytest.mark.parametrize(
    ("build", "what", "module"),
    [
        pytest.param(http("items/{id:int}"), "the route segment '{id:int}'", "routes.py", id="route-constraint"),
        pytest.param(http("opt/{id?}"), "the route segment '{id?}'", "routes.py", id="optional-parameter"),
        pytest.param(http("page/{n=1}"), "the route segment '{n=1}'", "routes.py", id="default-value"),
        pytest.param(http("files/{*rest}"), "the route segment '{*rest}'", "routes.py", id="catch-all"),
        pytest.param(http("f/{name}.{ext}"), "the route segment '{name}.{ext}'", "routes.py", id="complex-segment"),
        pytest.param(http("a//b"), "empty route segments", "routes.py", id="empty-segment"),
        pytest.param(http("{x}/{X}"), "a route parameter used twice ({X})", "routes.py", id="parameter-twice"),
        pytest.param(http("k", auth_level=func.AuthLevel.FUNCTION), "function keys (auth_level FUNCTION)", "http.py",
                     id="function-keys"),
        pytest.param(async_function, "async def functions (the worker's event loop)", "invocation.py", id="async"),
        pytest.param(context_parameter, "the context parameter", "invocation.py", id="context"),
        pytest.param(http_out_parameter, "the http binding 'res'", "invocation.py", id="http-out-parameter"),
        pytest.param(queue_output, "the queue binding 'out'", "invocation.py", id="queue-output"),
        pytest.param(blob_trigger, "blobTrigger triggers", "functions.py", id="other-trigger"),
        pytest.param(retry_policy, "the function setting retry_policy", "invocation.py", id="retry-policy"),
        pytest.param(str_queue_parameter, "a str trigger parameter", "invocation.py", id="generic-trigger-data"),
        pytest.param(queue(data_type=func.DataType.STRING), "the queueTrigger binding's dataType", "functions.py",
                     id="data-type"),
        pytest.param(queue(connection="OtherStorage"), "the storage connection 'OtherStorage'", "settings.py",
                     id="other-connection"),
        pytest.param(queue(queue_name="%QUEUE%"), "app-setting references (%NAME%)", "settings.py", id="setting-ref"),
        pytest.param(timer("00:05:00", use_monitor=False), "the schedule '00:05:00'", "timers.py", id="timespan"),
        pytest.param(timer("* * * * *", use_monitor=False), "the schedule '* * * * *'", "timers.py", id="five-fields"),
        pytest.param(timer(use_monitor=False, run_on_startup=True), "run_on_startup", "timers.py", id="run-on-startup"),
        pytest.param(timer(), "the schedule monitor (use_monitor is on unless set to False)", "timers.py",
                     id="schedule-monitor"),
    ],
)
def test_what_devhost_does_not_model_is_refused(build: App, what: str, module: str) -> None:
    message = refusal(build)
    assert "devhost would not run these as Azure does:" in message
    assert f"devhost does not model {what}" in message
    assert f"which Azure supports; this app doesn't use it — extend devhost/{module} first" in message


def test_every_unmodelled_function_is_listed_and_the_modelled_ones_are_not() -> None:
    def build(app: func.FunctionApp) -> None:
        async_function(app)

        @app.route(route="c")
        def with_context(req: func.HttpRequest, context: func.Context) -> str:
            return ""

        @app.route(route="fine/{id}")
        def fine(req: func.HttpRequest) -> str:
            return ""

    message = refusal(build)
    assert "  handler: devhost does not model async def" in message
    assert "  with_context: devhost does not model the context parameter" in message
    assert message.count("devhost does not model") == 2


def test_routes_that_differ_only_in_parameter_names_are_refused() -> None:
    """Azure loads both (the host compares route text), then orders them with an unstable sort:
    which one answers is undefined, so devhost won't pick one."""

    def build(app: func.FunctionApp) -> None:
        @app.route(route="contacts/{id}", methods=["GET"])
        def by_id(req: func.HttpRequest) -> str:
            return ""

        @app.route(route="Contacts/{contactId}", methods=["GET", "DELETE"])
        def by_contact_id(req: func.HttpRequest) -> str:
            return ""

        @app.route(route="contacts/{contactId}", methods=["POST"])  # no shared method: fine
        def create(req: func.HttpRequest) -> str:
            return ""

    message = refusal(build)
    assert "by_contact_id: its route and function 'by_id''s differ only in parameter names and share a method" in message
    assert "create:" not in message


def test_an_invalid_schedule_is_refused_as_the_host_does() -> None:
    message = refusal(timer("every night", use_monitor=False))
    assert ("The 'tick' function is in error: The schedule expression 'every night' was not recognized as a valid "
            "cron expression or timespan string.") in message


@pytest.mark.parametrize(
    ("host_json", "what"),
    [
        ({"extensions": {"queues": {"messageEncoding": "none"}}}, 'host.json messageEncoding "none"'),
        ({"extensions": {"http": {"maxConcurrentRequests": 10}}}, "the host.json settings extensions.http.maxConcurrentRequests"),
        ({"extensions": {"queues": {"maxDequeueCount": 2, "retry": {}}}}, "extensions.queues.retry"),
        ({"functions": ["GetAccount"], "singleton": {}}, "the host.json settings functions, singleton"),
        ({"extensions": {"serviceBus": {}}}, "the host.json settings extensions.serviceBus"),
    ],
)
def test_host_json_settings_devhost_does_not_read_are_refused(tmp_path: Path, host_json: dict, what: str) -> None:
    path = tmp_path / "host.json"
    path.write_text(json.dumps({"version": "2.0", "logging": {}, "extensionBundle": {}, **host_json}))
    with pytest.raises(ValueError, match="devhost does not model") as refused:
        DevHost(func.FunctionApp(), port=0, host_json=path)
    assert what in str(refused.value)


def test_app_settings_that_override_host_json_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AzureFunctionsJobHost__functionTimeout", "00:00:02")
    with pytest.raises(ValueError) as refused:
        DevHost(func.FunctionApp(), port=0, host_json=None)
    assert expected("app settings that override host.json (AzureFunctionsJobHost__functionTimeout)", "settings.py") in str(
        refused.value
    )


def test_the_cli_exits_with_the_refusal(tmp_path: Path) -> None:
    (tmp_path / "async_app.py").write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)\n"
        "@app.route(route='a')\n"
        "async def handler(req: func.HttpRequest) -> str:\n"
        "    return ''\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "devhost", "--app", "async_app:app", "--port", "0", "--azurite", "no",
         "--settings", str(tmp_path / "none.json")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert expected("async def functions (the worker's event loop)", "invocation.py") in done.stderr
    assert "devhost ready" not in done.stdout


def test_admin_runs_timers_only(run_host: Callable[..., DevHost], connection_string: str) -> None:
    app = func.FunctionApp()
    queue()(app)
    dev = run_host(app, connection_string=connection_string)
    response = requests.post(f"{dev.base_url}/admin/functions/consume", json={"input": "x"}, timeout=5)
    assert response.status_code == 501
    assert "extend devhost/http.py" in response.text
