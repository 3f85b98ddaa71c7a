"""Refuse, at start, an app that Azure would not run, or that devhost would run differently.

In Azure the worker indexes ``function_app.py`` and loads every function before anything runs
(loader.py ``index_function_app``, then functions.py ``Registry.add_indexed_function`` for each).
ONE function whose parameters don't match its bindings fails the worker's whole
FunctionMetadataResponse: the host logs "Worker failed to index functions" and runs 0 functions.
The host then validates what the worker returned (names, bindings, HTTP routes) and drops each
function that fails, logging "The 'X' function is in error: ...".

devhost checks all of it before it serves anything and refuses to start, quoting the message
Azure would log, so a mismatch is red here instead of dark in Azure. Each rule names its source
(worker 4.34.0, host 4.1037, azure-functions as pinned); devhost/README.md lists them. Where the
worker stops at the first failing function, devhost reports every one.

devhost models only what this app uses (:func:`check_modelled`): a function that uses anything
else — another trigger or binding, ``async def``, ``context``, route constraints, function keys,
TimeSpan schedules... — is refused with what to extend, instead of running differently from Azure.
"""

from __future__ import annotations

import collections.abc
import inspect
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

import azure.functions as func

from devhost import routes

# Host, Utility.cs: FunctionNameValidationRegex and BindingNameValidationRegex.
_FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,127}$", re.IGNORECASE)
_BINDING_NAME = re.compile(r"^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$")
# Host, ScriptHost.ValidateHttpFunction: routes the host keeps for itself.
_RESERVED_ROUTE_PREFIXES = ("admin", "runtime")
STORAGE_CONNECTION = "AzureWebJobsStorage"
# The function.json properties devhost acts on, per binding type; any other one is refused.
_MODELLED_PROPERTIES = {
    "httpTrigger": {"methods", "authLevel", "route"},
    "http": set(),
    "timerTrigger": {"schedule", "runOnStartup", "useMonitor"},
    "queueTrigger": {"queueName", "connection"},
}
_TRIGGER_TYPES = ("httpTrigger", "timerTrigger", "queueTrigger")

Source = Literal["worker", "host", "devhost"]


class FunctionLoadError(RuntimeError):
    """The worker's error for a function it cannot load (functions.py ``FunctionLoadError``)."""

    def __init__(self, function_name: str, msg: str) -> None:
        super().__init__(f"cannot load the {function_name} function: {msg}")


@dataclass(frozen=True)
class Problem:
    """One reason devhost won't run (part of) the app: Azure's worker or host would refuse it
    (worded as Azure logs it), or devhost doesn't model something it uses."""

    function: str | None
    message: str
    source: Source


class AppRefused(RuntimeError):
    """devhost will not start this app; the message has every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = ["devhost refuses to start this app."]
        worker = [p for p in self.problems if p.source == "worker"]
        if worker:
            lines.append(
                "Azure would not run it: the Python worker fails indexing (so the host loads 0 functions) and logs, "
                "for the first of these:"
            )
            lines.extend(f"  Worker failed to index functions. Result: Failure Exception: {p.message}" for p in worker)
        host = [p for p in self.problems if p.source == "host"]
        if host:
            lines.append("Azure would not run these functions: the host logs")
            lines.extend(f"  The '{p.function}' function is in error: {p.message}" for p in host)
        own = [p for p in self.problems if p.source == "devhost"]
        if own:
            lines.append("devhost would not run these as Azure does:")
            lines.extend(f"  {p.function}: {p.message}" for p in own)
        super().__init__("\n".join(lines))


def unmodelled(what: str, module: str) -> str:
    """The refusal for a host or worker feature devhost leaves out."""
    return (
        f"devhost does not model {what}, which Azure supports; this app doesn't use it — "
        f"extend devhost/{module} first"
    )


def validate(app: func.FunctionApp) -> list[Any]:
    """The app's functions (``Function`` objects), or :class:`AppRefused` with every problem.

    Runs the library's own indexing (``get_functions``: one trigger per function, unique names),
    then, per function, what devhost models and the worker's load checks, then the host's
    metadata and route checks.
    """
    app.functions_bindings = None  # let get_functions() run again on an app indexed before
    try:
        functions = list(app.get_functions())
    except Exception as exc:  # loader.index_function_app raises it: the worker fails indexing
        raise AppRefused([Problem(None, _exception_text(exc), "worker")]) from exc
    problems: list[Problem] = []
    for function in functions:
        name = function.get_function_name()
        missing = check_modelled(function)
        if missing is not None:
            problems.append(Problem(name, missing, "devhost"))
            continue  # the worker's rules below assume the shapes devhost models
        try:
            check_worker_load(function)
        except Exception as exc:
            problems.append(Problem(name, _exception_text(exc), "worker"))
    problems.extend(check_host_metadata(functions))
    if problems:
        raise AppRefused(problems)
    return functions


def _exception_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# -- what devhost models: this app's shapes -----------------------------------------------------
def check_modelled(function: Any) -> str | None:
    """The first thing ``function`` uses that devhost does not model, as a refusal; None if none."""
    trigger = function.get_trigger()
    if trigger.type not in _TRIGGER_TYPES:
        return unmodelled(f"{trigger.type} triggers", "functions.py")
    for binding in function.get_bindings():
        if binding is not trigger and (binding.type, binding.name) != ("http", "$return"):
            return unmodelled(
                f"the {binding.type} binding {binding.name!r} (only a trigger and an HTTP $return are modelled)",
                "invocation.py",
            )
        extra = sorted(set(binding.get_dict_repr()) - {"direction", "type", "name"} - _MODELLED_PROPERTIES[binding.type])
        if extra:
            return unmodelled(f"the {binding.type} binding's {', '.join(extra)}", "functions.py")
    settings = sorted(s.setting_name for s in function._settings if s.setting_name != "function_name")
    if settings:  # e.g. @app.retry: the host retries failed timer invocations
        return unmodelled(f"the function setting {', '.join(settings)}", "invocation.py")
    if function.http_type != "function":
        return unmodelled(f"the {function.http_type!r} HTTP type (HTTP streaming)", "http.py")
    user_function = function.get_user_function()
    if inspect.iscoroutinefunction(user_function):
        return unmodelled("async def functions (the worker's event loop)", "invocation.py")
    if "context" in inspect.signature(user_function).parameters and trigger.name != "context":
        return unmodelled("the context parameter", "invocation.py")
    try:
        annotation = typing.get_type_hints(user_function).get(trigger.name)
    except Exception:
        annotation = None  # the worker's own check reports it
    if annotation in (str, bytes):
        return unmodelled(f"a {annotation.__name__} trigger parameter (the worker's generic binding data)", "invocation.py")
    for value in (getattr(trigger, key, None) for key in ("route", "schedule", "queue_name", "connection")):
        if isinstance(value, str) and "%" in value:
            return unmodelled("app-setting references (%NAME%) in binding properties", "settings.py")
    if trigger.type == "httpTrigger":
        return _check_modelled_http(function.get_function_name(), trigger)
    if trigger.type == "timerTrigger":
        return _check_modelled_timer(trigger)
    if trigger.connection not in (None, STORAGE_CONNECTION):
        return unmodelled(f"the storage connection {trigger.connection!r} (only {STORAGE_CONNECTION})", "settings.py")
    return None


def _check_modelled_http(name: str, trigger: Any) -> str | None:
    if _enum_text(trigger.auth_level).lower() != "anonymous":
        return unmodelled(f"function keys (auth_level {_enum_text(trigger.auth_level).upper()})", "http.py")
    route = _route_text(name, trigger)
    if route.strip("/").lower().split("/")[0] == ".auth":
        return (f"the route {route!r} is under /.auth, which App Service authentication answers before the app "
                "(devhost/auth.py emulates it): the function would never run once sign-in is on")
    what = routes.unsupported(route)
    return unmodelled(what, "routes.py") if what else None


def _check_modelled_timer(trigger: Any) -> str | None:
    if trigger.run_on_startup:
        return unmodelled("run_on_startup", "timers.py")
    if trigger.use_monitor is not False:
        return unmodelled("the schedule monitor (use_monitor is on unless set to False)", "timers.py")
    if len(trigger.schedule.split()) != 6:  # TimeSpan and 5-field cron load too (TimerSchedule.Create, CronSchedule.HasSeconds)
        return unmodelled(f"the schedule {trigger.schedule!r}: only 6-field NCRONTAB is modelled", "timers.py")
    return None


# -- the worker: functions.py Registry.add_indexed_function ------------------------------------
def check_worker_load(function: Any) -> None:
    """Raise what ``Registry.add_indexed_function`` raises for this function, if anything
    (for the shapes :func:`check_modelled` lets through: a trigger, maybe an HTTP ``$return``)."""
    user_function = function.get_user_function()
    name = function.get_function_name()
    params = dict(inspect.signature(user_function).parameters)
    annotations = typing.get_type_hints(user_function)  # unresolvable names raise here, as in the worker
    trigger = function.get_trigger()
    explicit_return = any(b.name == "$return" for b in function.get_bindings())

    # validate_function_params
    if set(params) - {trigger.name}:
        raise FunctionLoadError(
            name, f"the following parameters are declared in Python but not in function.json: {set(params) - {trigger.name}!r}"
        )
    if trigger.name not in params:
        raise FunctionLoadError(
            name, f"the following parameters are declared in function.json but not in Python: {{{trigger.name!r}}}"
        )
    if trigger.name in annotations:
        _check_trigger_annotation(name, trigger, annotations[trigger.name])

    # get_function_return_type
    if explicit_return and "return" in annotations:
        anno = annotations["return"]
        if _is_generic_type(anno) and getattr(_origin(anno), "__name__", None) == "Out":
            raise FunctionLoadError(name, "return annotation should not be azure.functions.Out")
        if not isinstance(anno, type):
            raise FunctionLoadError(name, f"has invalid non-type return annotation {anno!r}")
        if not _converter("http").check_output_type_annotation(anno):
            raise FunctionLoadError(name, f'Python return annotation "{anno.__name__}" does not match binding type "http"')


def _check_trigger_annotation(function_name: str, binding: Any, anno: Any) -> None:
    """The trigger parameter's annotation, as ``validate_function_params`` checks an "in" binding."""
    param = binding.name
    origin = _origin(anno) if _is_generic_type(anno) else None
    if getattr(origin if origin is not None else anno, "__name__", None) == "Out":
        raise FunctionLoadError(
            function_name,
            f'binding {param} is declared to have the "in" direction in function.json, but its annotation is '
            "azure.functions.Out in Python",
        )
    if not isinstance(anno, type) and not _is_generic_type(anno):
        raise FunctionLoadError(function_name, f"binding {param} has invalid non-type annotation {anno!r}")
    if not _converter(binding.type).check_input_type_annotation(anno):
        type_name = getattr(anno, "__name__", repr(anno))
        raise FunctionLoadError(  # the library leaves dataType None, hence the worker's dataType wording
            function_name,
            f'{param!r} binding type "{binding.type}" and dataType "{binding.data_type}" in function.json do not '
            f"match the corresponding function parameter's Python type annotation \"{type_name}\"",
        )


def _converter(binding_type: str) -> Any:
    """The library's converter for a binding type (bindings/meta.py reads the same registry)."""
    return func.get_binding_registry().get(binding_type)


# The worker's vendored typing_inspect (Python >= 3.9 branch), restated.
def _is_generic_type(tp: Any) -> bool:
    if isinstance(tp, type) and issubclass(tp, typing.Generic):  # type: ignore[arg-type]
        return True
    return isinstance(tp, (typing._GenericAlias, typing._SpecialGenericAlias)) and tp.__origin__ not in (  # type: ignore[attr-defined]
        typing.Union, tuple, typing.ClassVar, collections.abc.Callable
    )


def _origin(tp: Any) -> Any:
    if isinstance(tp, typing._GenericAlias):  # type: ignore[attr-defined]
        return tp.__origin__ if tp.__origin__ is not typing.ClassVar else None
    return typing.Generic if tp is typing.Generic else None


# -- the host: WorkerFunctionMetadataProvider.ValidateMetadata, ScriptHost.ValidateFunction -----
def check_host_metadata(functions: Iterable[Any]) -> list[Problem]:
    """Per-function errors the host raises while loading the worker's metadata, and HTTP routes
    whose order in the host is undefined (devhost's own refusal)."""
    problems: list[Problem] = []
    http_routes: dict[str, tuple[str, frozenset[str] | None]] = {}
    for function in functions:
        name = function.get_function_name()
        try:
            _check_names(name, function.get_bindings())
            trigger = function.get_trigger()
            if trigger.type == "timerTrigger":
                _check_schedule(trigger.schedule)
            if trigger.type == "httpTrigger":
                ambiguous = _check_http_route(name, trigger, http_routes)
                if ambiguous:
                    problems.append(Problem(name, ambiguous, "devhost"))
        except ValueError as exc:
            problems.append(Problem(name, str(exc), "host"))
    return problems


def _check_names(name: str, bindings: Iterable[Any]) -> None:
    if not _FUNCTION_NAME.match(name) or name.lower() == "host":  # Utility.ValidateName
        raise ValueError(f"'{name}' is not a valid function name.")
    for binding in bindings:  # ValidateBindings / Utility.ValidateBinding
        if binding.name is None or not _BINDING_NAME.match(binding.name):
            raise ValueError(f"The binding name {binding.name} is invalid. Please assign a valid name to the binding.")


def _check_schedule(expression: str) -> None:
    """WebJobs timer extension, Timers/Scheduling/TimerSchedule.cs ``Create``."""
    from devhost import timers  # imported here: devhost.timers imports the modules that import this one

    try:
        timers.Schedule(expression)
    except ValueError:
        raise ValueError(
            f"The schedule expression '{expression}' was not recognized as a valid cron expression or timespan string."
        ) from None


def _enum_text(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


def _route_text(name: str, trigger: Any) -> str:
    return trigger.route if trigger.route and trigger.route.strip() else name  # ValidateHttpFunction


def http_methods(trigger: Any) -> frozenset[str] | None:
    """The trigger's methods upper-cased; None (no methods declared) means every method."""
    return frozenset(_enum_text(m).upper() for m in trigger.methods) if trigger.methods else None


def _check_http_route(name: str, trigger: Any, seen: dict[str, tuple[str, frozenset[str] | None]]) -> str | None:
    """Raise the host's route errors; return devhost's refusal of an ambiguous route, if any."""
    route = _route_text(name, trigger).strip("/").lower()
    if route.startswith(_RESERVED_ROUTE_PREFIXES):
        raise ValueError("The specified route conflicts with one or more built in routes.")
    methods = http_methods(trigger)
    shape = re.sub(r"\{[^/]*\}", "{}", route)
    ambiguous = None
    for other, (other_route, other_methods) in seen.items():
        if not (methods is None or other_methods is None or methods & other_methods):
            continue
        if other_route == route:  # HttpRoutesConflict: the same text and a shared method
            raise ValueError(f"The route specified conflicts with the route defined by function '{other}'.")
        if ambiguous is None and re.sub(r"\{[^/]*\}", "{}", other_route) == shape:
            ambiguous = (
                f"its route and function '{other}''s differ only in parameter names and share a method, so they match "
                "the same requests; the host orders routes with an unstable sort (WebJobsRouteBuilder.RouteComparison), "
                "so which one Azure runs is undefined (devhost refuses it; Azure loads it)"
            )
    seen[name] = (route, methods)
    return ambiguous
