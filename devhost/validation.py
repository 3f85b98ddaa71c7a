"""Refuse, at start, an app that Azure would not run: the Python worker's and the host's load rules.

In Azure the worker indexes ``function_app.py`` and loads every function before anything runs
(loader.py ``index_function_app``, then functions.py ``Registry.add_indexed_function`` for each).
ONE function whose parameters don't match its bindings fails the worker's whole
FunctionMetadataResponse: the host logs "Worker failed to index functions" and runs 0 functions.
The host then validates what the worker returned (names, bindings, HTTP routes) and drops each
function that fails, logging "The 'X' function is in error: ...".

devhost checks all of it before it serves anything and refuses to start, quoting the message
Azure would log, so a mismatch is red here instead of dark in Azure. Each rule names its source
(worker 4.34.0, host 4.1037, azure-functions as pinned); devhost/README.md lists them.
Where the worker stops at the first failing function, devhost reports every one.
"""

from __future__ import annotations

import collections.abc
import inspect
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import azure.functions as func

# BindingDirection values (azure.functions.decorators.core, the worker's protos.BindingInfo).
_IN, _OUT, _INOUT = 0, 1, 2
_UNDEFINED_DATA_TYPE = 0
# Host, Utility.cs: FunctionNameValidationRegex and BindingNameValidationRegex.
_FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,127}$", re.IGNORECASE)
_BINDING_NAME = re.compile(r"^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$")
# Host, ScriptHost.ValidateHttpFunction: routes the host keeps for itself.
_RESERVED_ROUTE_PREFIXES = ("admin", "runtime")


class FunctionLoadError(RuntimeError):
    """The worker's error for a function it cannot load (functions.py ``FunctionLoadError``)."""

    def __init__(self, function_name: str, msg: str) -> None:
        super().__init__(f"cannot load the {function_name} function: {msg}")


@dataclass(frozen=True)
class Problem:
    """One reason Azure would not run (part of) the app, worded as Azure logs it."""

    function: str | None
    message: str
    whole_app: bool  # True: the worker fails indexing, so Azure runs none of the functions


class AppRefused(RuntimeError):
    """devhost will not start an app Azure would not run; the message has every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = ["devhost refuses to start this app: Azure would not run it as written."]
        worker = [p for p in self.problems if p.whole_app]
        if worker:
            lines.append(
                "The Python worker fails indexing (so the host loads 0 functions) and logs, for the first of these:"
            )
            lines.extend(f"  Worker failed to index functions. Result: Failure Exception: {p.message}" for p in worker)
        host = [p for p in self.problems if not p.whole_app]
        if host:
            lines.append("The host does not load these functions:")
            lines.extend(f"  The '{p.function}' function is in error: {p.message}" for p in host)
        super().__init__("\n".join(lines))


def validate(app: func.FunctionApp) -> list[tuple[Any, "LoadInfo"]]:
    """The app's functions (``Function`` objects, each with what the worker records for it), or
    :class:`AppRefused` with every problem.

    Runs the library's own indexing (``get_functions``: one trigger per function, unique names),
    then the worker's per-function load checks, then the host's metadata and route checks.
    """
    app.functions_bindings = None  # let get_functions() run again on an app indexed before
    try:
        functions = list(app.get_functions())
    except Exception as exc:  # loader.index_function_app raises it: the worker fails indexing
        raise AppRefused([Problem(None, _exception_text(exc), True)]) from exc
    problems: list[Problem] = []
    loaded: list[tuple[Any, LoadInfo]] = []
    for function in functions:
        try:
            loaded.append((function, check_worker_load(function)))
        except Exception as exc:
            problems.append(Problem(function.get_function_name(), _exception_text(exc), True))
    problems.extend(check_host_metadata(functions))
    if problems:
        raise AppRefused(problems)
    return loaded


def _exception_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# -- the worker: functions.py Registry.add_indexed_function ------------------------------------
@dataclass(frozen=True)
class LoadInfo:
    """What the worker's FunctionInfo records for a function that loads."""

    has_return: bool  # a $return or implicit-output binding: returning a value is allowed
    requires_context: bool  # an unbound "context" parameter gets the invocation Context


def check_worker_load(function: Any) -> LoadInfo:
    """Raise what ``Registry.add_indexed_function`` raises for this function, if anything."""
    user_function = function.get_user_function()
    name = function.get_function_name()
    params = dict(inspect.signature(user_function).parameters)
    annotations = typing.get_type_hints(user_function)  # unresolvable names raise here, as in the worker

    bound: dict[str, Any] = {}
    explicit_return = implicit_return = False
    return_binding: str | None = None  # the binding type the return value is encoded for
    return_fixed = False
    for binding in function.get_bindings():
        _check_direction(binding.name, binding.direction, name)  # validate_binding_direction
        implicit = _has_implicit_output(binding.type)
        if binding.name == "$return":  # get_explicit_and_implicit_return
            explicit_return = True
        else:
            implicit_return = implicit_return or implicit
            bound[binding.name] = binding
        if not return_fixed:  # get_return_binding: $return wins, else the last implicit output
            if binding.name == "$return":
                return_binding, return_fixed = binding.type, True
            elif implicit:
                return_binding = binding.type

    # is_context_required: an unbound "context" parameter gets the invocation Context.
    requires_context = "context" in params and "context" not in bound
    if requires_context:
        params.pop("context")
        if "context" in annotations:
            anno = annotations["context"]
            if not isinstance(anno, type) or anno.__name__ != "Context":
                raise FunctionLoadError(
                    name, f'the "context" parameter is expected to be of type azure.functions.Context, got {anno!r}'
                )

    # validate_function_params
    if set(params) - set(bound):
        raise FunctionLoadError(
            name, f"the following parameters are declared in Python but not in function.json: {set(params) - set(bound)!r}"
        )
    if set(bound) - set(params):
        raise FunctionLoadError(
            name, f"the following parameters are declared in function.json but not in Python: {set(bound) - set(params)!r}"
        )
    for param in params.values():
        _check_parameter(name, param.name, bound[param.name], param.name in annotations, annotations.get(param.name))

    # get_function_return_type
    if explicit_return and "return" in annotations:
        anno = annotations["return"]
        if _is_generic_type(anno) and getattr(_origin(anno), "__name__", None) == "Out":
            raise FunctionLoadError(name, "return annotation should not be azure.functions.Out")
        if not isinstance(anno, type):
            raise FunctionLoadError(name, f"has invalid non-type return annotation {anno!r}")
        if not _check_output(str(return_binding), anno):
            raise FunctionLoadError(
                name, f'Python return annotation "{anno.__name__}" does not match binding type "{return_binding}"'
            )
    return LoadInfo(has_return=explicit_return or implicit_return, requires_context=requires_context)


def _check_direction(binding_name: str, direction: int, function_name: str) -> None:
    if direction == _INOUT:
        raise FunctionLoadError(function_name, '"inout" bindings are not supported')
    if binding_name == "$return" and direction != _OUT:
        raise FunctionLoadError(function_name, '"$return" binding must have direction set to "out"')


def _check_parameter(function_name: str, param: str, binding: Any, has_anno: bool, anno: Any) -> None:
    """One parameter against its binding, as ``validate_function_params`` checks it."""
    is_param_out = False
    if has_anno:
        origin = _origin(anno) if _is_generic_type(anno) else None
        named = origin if origin is not None else anno
        is_param_out = isinstance(named, type) and named.__name__ == "Out"
    is_binding_out = binding.direction == _OUT
    if is_param_out:
        args = anno.__args__ if isinstance(anno, typing._GenericAlias) else ()  # type: ignore[attr-defined]
        if len(args) != 1:
            raise FunctionLoadError(function_name, f"binding {param} has invalid Out annotation {anno!r}")
        py_type = args[0]
    else:
        py_type = anno
    if has_anno and not isinstance(py_type, type) and not _is_generic_type(py_type):
        raise FunctionLoadError(function_name, f"binding {param} has invalid non-type annotation {anno!r}")
    if is_binding_out and has_anno and not is_param_out:
        raise FunctionLoadError(
            function_name,
            f'binding {param} is declared to have the "out" direction, but its annotation in Python is not '
            "a subclass of azure.functions.Out",
        )
    if not is_binding_out and is_param_out:
        raise FunctionLoadError(
            function_name,
            f'binding {param} is declared to have the "in" direction in function.json, but its annotation is '
            "azure.functions.Out in Python",
        )
    if not has_anno:
        return
    # str/bytes parameters of bindings without implicit output are read as "generic" data.
    bind_type = "generic" if py_type in (str, bytes) and not _has_implicit_output(binding.type) else binding.type
    fits = _check_output(bind_type, py_type) if is_param_out else _check_input(bind_type, py_type)
    if fits:
        return
    type_name = getattr(py_type, "__name__", repr(py_type))
    if binding.data_type != _UNDEFINED_DATA_TYPE:  # the library leaves dataType None: this wording
        raise FunctionLoadError(
            function_name,
            f'{param!r} binding type "{binding.type}" and dataType "{binding.data_type}" in function.json do not '
            f"match the corresponding function parameter's Python type annotation \"{type_name}\"",
        )
    raise FunctionLoadError(
        function_name, f'type of {param} binding in function.json "{binding.type}" does not match its Python '
        f'annotation "{type_name}"',
    )


# bindings/meta.py and bindings/generic.py: converters come from azure.functions' registry;
# a type it doesn't know is "generic" (str/bytes in, str/bytes/bytearray out, implicit output).
def _converter(binding_type: str) -> Any:
    return func.get_binding_registry().get(binding_type)


def _check_input(binding_type: str, py_type: Any) -> bool:
    converter = _converter(binding_type)
    if converter is None:
        return issubclass(py_type, (str, bytes))
    return bool(converter.check_input_type_annotation(py_type))


def _check_output(binding_type: str, py_type: Any) -> bool:
    converter = _converter(binding_type)
    if converter is None:
        return issubclass(py_type, (str, bytes, bytearray))
    return bool(converter.check_output_type_annotation(py_type))


def _has_implicit_output(binding_type: str) -> bool:
    converter = _converter(binding_type)
    if converter is None:
        return binding_type != "durableClient"
    return bool(getattr(converter, "has_implicit_output", lambda: False)())


# The worker's vendored typing_inspect (Python >= 3.9 branch), restated.
def _is_generic_alias(tp: Any) -> bool:
    return isinstance(tp, (typing._GenericAlias, typing._SpecialGenericAlias))  # type: ignore[attr-defined]


def _is_generic_type(tp: Any) -> bool:
    if isinstance(tp, type) and issubclass(tp, typing.Generic):  # type: ignore[arg-type]
        return True
    return _is_generic_alias(tp) and tp.__origin__ not in (
        typing.Union, tuple, typing.ClassVar, collections.abc.Callable
    )


def _origin(tp: Any) -> Any:
    if isinstance(tp, typing._GenericAlias):  # type: ignore[attr-defined]
        return tp.__origin__ if tp.__origin__ is not typing.ClassVar else None
    return typing.Generic if tp is typing.Generic else None


# -- the host: WorkerFunctionMetadataProvider.ValidateMetadata, ScriptHost.ValidateFunction -----
def check_host_metadata(functions: Iterable[Any]) -> list[Problem]:
    """Per-function errors the host raises while loading the worker's metadata."""
    problems: list[Problem] = []
    http_routes: dict[str, tuple[str, frozenset[str] | None]] = {}
    for function in functions:
        name = function.get_function_name()
        try:
            _check_name_and_bindings(name, function.get_bindings())
            trigger = function.get_trigger()
            if trigger.type == "httpTrigger":
                _check_http_route(name, trigger, http_routes)
        except ValueError as exc:
            problems.append(Problem(name, str(exc), False))
    return problems


def _check_name_and_bindings(name: str, bindings: Iterable[Any]) -> None:
    if not _FUNCTION_NAME.match(name) or name.lower() == "host":  # Utility.ValidateName
        raise ValueError(f"'{name}' is not a valid function name.")
    seen: set[str] = set()
    for binding in bindings:  # ValidateBindings / Utility.ValidateBinding
        if binding.name is None or not _BINDING_NAME.match(binding.name):
            raise ValueError(f"The binding name {binding.name} is invalid. Please assign a valid name to the binding.")
        if binding.name == "$return" and binding.direction != _OUT:
            raise ValueError("$return bindings must specify a direction of 'out'.")
        if binding.name.lower() in seen:
            raise ValueError(f"Multiple bindings with name '{binding.name}' discovered. Binding names must be unique.")
        seen.add(binding.name.lower())


def _methods(trigger: Any) -> frozenset[str] | None:
    methods = getattr(trigger, "methods", None)
    if not methods:
        return None  # no methods = all methods
    return frozenset(str(m.value if isinstance(m, Enum) else m).upper() for m in methods)


def _check_http_route(name: str, trigger: Any, routes: dict[str, tuple[str, frozenset[str] | None]]) -> None:
    route = trigger.route if trigger.route and trigger.route.strip() else name  # ValidateHttpFunction
    lowered = route.strip("/").lower()
    if lowered.startswith(_RESERVED_ROUTE_PREFIXES):
        raise ValueError("The specified route conflicts with one or more built in routes.")
    methods = _methods(trigger)
    for other, (other_route, other_methods) in routes.items():  # HttpRoutesConflict: same text, shared method
        if other_route == lowered and (methods is None or other_methods is None or methods & other_methods):
            raise ValueError(f"The route specified conflicts with the route defined by function '{other}'.")
    if name in routes:
        raise ValueError(f"The function or proxy name '{name}' must be unique within the function app.")
    routes[name] = (lowered, methods)
