"""What the app declares: each function's trigger, bindings and Python callable.

Read once from ``app.get_functions()`` through :func:`devhost.validation.validate`, which refuses
an app Azure's worker or host would not load (a second call on the same app raises "does not have
a unique function name" unless its index is reset, which it does so a test can build two hosts).
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

import azure.functions as func
from azure.functions.decorators.core import OutputBinding as DeclaredOutput

from devhost.validation import LoadInfo, validate

log = logging.getLogger("devhost")

Kind = Literal["http", "timer", "queue", "other"]
_KINDS: dict[str, Kind] = {"httpTrigger": "http", "timerTrigger": "timer", "queueTrigger": "queue"}


def enum_text(value: Any) -> str:
    """Decorator arguments may be enums (HttpMethod.GET) or plain strings."""
    return str(value.value if isinstance(value, Enum) else value)


@dataclass(frozen=True)
class OutputBinding:
    """An output binding other than the HTTP response: devhost only delivers queue outputs."""

    name: str
    type: str
    queue_name: str | None = None
    connection: str | None = None


@dataclass(frozen=True)
class FunctionInfo:
    """One function as the host sees it."""

    name: str
    kind: Kind
    trigger: Any
    trigger_param: str
    user_function: Callable[..., Any]
    is_async: bool
    accepts_context: bool
    has_return: bool = True  # False: returning anything but None fails the invocation, as in the worker
    http_output: str | None = None
    outputs: tuple[OutputBinding, ...] = ()
    unsupported_inputs: tuple[str, ...] = field(default=())


def index(app: func.FunctionApp) -> list[FunctionInfo]:
    """Every enabled function of ``app``; ``AzureWebJobs.<name>.Disabled=true`` skips one, as in Azure.

    Raises :class:`devhost.validation.AppRefused` when Azure would not load the app.
    """
    found = [_describe(f, info) for f, info in validate(app)]
    enabled = []
    for info in found:
        if os.environ.get(f"AzureWebJobs.{info.name}.Disabled", "").lower() in ("true", "1"):
            log.info("function %s is disabled by AzureWebJobs.%s.Disabled", info.name, info.name)
            continue
        enabled.append(info)
    return enabled


def _describe(function: Any, loaded: LoadInfo) -> FunctionInfo:
    trigger = function.get_trigger()
    user_function = function.get_user_function()
    http_output: str | None = None
    outputs: list[OutputBinding] = []
    unsupported: list[str] = []
    for binding in function.get_bindings():
        if binding is trigger:
            continue
        where = f"{function.get_function_name()}: {binding.type} binding {binding.name!r}"
        if binding.type == "http":
            http_output = binding.name
        elif isinstance(binding, DeclaredOutput):
            outputs.append(
                OutputBinding(
                    binding.name, binding.type,
                    getattr(binding, "queue_name", None), getattr(binding, "connection", None),
                )
            )
            if binding.type != "queue":
                log.warning("%s (output) is not delivered by devhost", where)
        else:
            unsupported.append(binding.name)
            log.warning("%s (input) is not supported by devhost: the function gets None", where)
    return FunctionInfo(
        name=function.get_function_name(),
        kind=_KINDS.get(trigger.type, "other"),
        trigger=trigger,
        trigger_param=trigger.name,
        user_function=user_function,
        is_async=inspect.iscoroutinefunction(user_function),
        accepts_context=loaded.requires_context,
        has_return=loaded.has_return,
        http_output=http_output,
        outputs=tuple(outputs),
        unsupported_inputs=tuple(unsupported),
    )
