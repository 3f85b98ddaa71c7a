"""What the app declares: each function's trigger and Python callable.

Read once from ``app.get_functions()`` through :func:`devhost.validation.validate`, which refuses
an app Azure's worker or host would not load, or one that uses what devhost does not model (a
second call on the same app raises "does not have a unique function name" unless its index is
reset, which it does so a test can build two hosts). What is left is one of three shapes: an HTTP
trigger answering through ``$return``, a queue trigger, or a timer trigger, each a sync function
whose only parameter is its trigger.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import azure.functions as func

from devhost.validation import validate

log = logging.getLogger("devhost")

Kind = Literal["http", "timer", "queue"]
_KINDS: dict[str, Kind] = {"httpTrigger": "http", "timerTrigger": "timer", "queueTrigger": "queue"}


@dataclass(frozen=True)
class FunctionInfo:
    """One function as the host sees it."""

    name: str
    kind: Kind
    trigger: Any
    user_function: Callable[..., Any]

    @property
    def has_return(self) -> bool:
        """Only HTTP functions have a ``$return`` binding; the others must return None (dispatcher.py)."""
        return self.kind == "http"


def index(app: func.FunctionApp) -> list[FunctionInfo]:
    """Every enabled function of ``app``; ``AzureWebJobs.<name>.Disabled=true`` skips one, as in
    Azure (kept: the benchmarks switch the pipeline functions off with it).

    Raises :class:`devhost.validation.AppRefused` when Azure would not load the app, or devhost
    would run it differently.
    """
    enabled = []
    for function in validate(app):
        name = function.get_function_name()
        if os.environ.get(f"AzureWebJobs.{name}.Disabled", "").lower() in ("true", "1"):
            log.info("function %s is disabled by AzureWebJobs.%s.Disabled", name, name)
            continue
        trigger = function.get_trigger()
        enabled.append(FunctionInfo(name, _KINDS[trigger.type], trigger, function.get_user_function()))
    return enabled
