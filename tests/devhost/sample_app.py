"""A tiny function app for the CLI tests (``python -m devhost --app tests.devhost.sample_app:app``)."""

from __future__ import annotations

import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
# Read at import time on purpose: settings must be in the environment before the app is imported.
GREETING = os.environ.get("DEVHOST_SAMPLE_GREETING", "unset")


@app.route(route="hello/{name}", methods=["GET"])
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"{GREETING}, {req.route_params['name']}")


@app.queue_trigger(arg_name="msg", queue_name="devhost-sample", connection="AzureWebJobsStorage")
def sample_queue(msg: func.QueueMessage) -> None:
    """For the crash test: logs "start|done <pid> <id> <dequeue>" to $DEVHOST_SAMPLE_QUEUE_LOG and
    sleeps $DEVHOST_SAMPLE_QUEUE_SLEEP seconds in between (both optional)."""
    _record("start", msg)
    time.sleep(float(os.environ.get("DEVHOST_SAMPLE_QUEUE_SLEEP") or 0))
    _record("done", msg)


def _record(event: str, msg: func.QueueMessage) -> None:
    path = os.environ.get("DEVHOST_SAMPLE_QUEUE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{event} {os.getpid()} {msg.id} {msg.dequeue_count}\n")


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", use_monitor=False)
def sample_timer(timer: func.TimerRequest) -> None:
    pass
