"""A tiny function app for the CLI smoke test (``python -m devhost --app tests.devhost.sample_app:app``)."""

from __future__ import annotations

import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
# Read at import time on purpose: settings must be in the environment before the app is imported.
GREETING = os.environ.get("DEVHOST_SAMPLE_GREETING", "unset")


@app.route(route="hello/{name}", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"{GREETING}, {req.route_params['name']}")


@app.queue_trigger(arg_name="msg", queue_name="devhost-sample", connection="AzureWebJobsStorage")
def sample_queue(msg: func.QueueMessage) -> None:
    pass


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer")
def sample_timer(timer: func.TimerRequest) -> None:
    pass
