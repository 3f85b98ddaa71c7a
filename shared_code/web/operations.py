"""Each HTTP operation declared once, beside its feature: id, method, route, request and
response models, status, texts, visibility, errors, x-ms-* metadata and the handler.

``functions/`` registers one Azure Function per declaration and the connector generator
(``connector/build_definition.py``) writes the Swagger definition from the same declarations
and the pydantic models they name. As in Powertools' event handler, the route is said once,
on its handler, and the API document is derived; unlike it, models are named rather than
imported, because the worker imports these modules while it indexes the app, and pydantic (or
any service) loaded then would double the cold start (``bench/cold_start.py``). Names resolve
against the feature's model modules on first use; a wrong name fails the generator and the
tests, not a request.

Imported at indexing time: standard library only.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Any

Schema = dict[str, Any]
# How prominent an operation is in the flow designer: Microsoft's schema allows the last three as
# x-ms-visibility; "none" (an ordinary operation) is said by leaving the key out.
VISIBILITIES = ("none", "important", "advanced", "internal")
EMPTY: Mapping[str, Any] = MappingProxyType({})

# What the request runtime (shared_code/web/runtime.py) can answer besides the success
# responses: every operation may fail validation, authentication, lookup, a rule or the rate
# limit; one that changes something may also conflict or get a body that is too large or not
# JSON.
READ_ERRORS = (400, 401, 404, 422, 429)
WRITE_ERRORS = (*READ_ERRORS, 409, 413, 415)
RETRY_AFTER = {"type": "integer", "description": "Seconds to wait before retrying."}
# Power Automate's async pattern: 202 + Location + Retry-After until the result is there.
POLLING = {"Location": {"type": "string", "description": "The URL to poll for the final result."},
           "Retry-After": RETRY_AFTER}


class _Declared:
    """Typed attributes with class-level defaults, set once by keyword or in annotation order.
    Not a dataclass: this module loads while the worker indexes the app, and generating
    dataclass methods for these classes costs more than the rest of the app's indexing."""

    def __init__(self, *args: Any, **values: Any) -> None:
        names = list(type(self).__annotations__)
        values.update(zip(names, args))
        unknown = set(values) - set(names)
        missing = [n for n in names if n not in values and not hasattr(type(self), n)]
        if unknown or missing:
            raise TypeError(f"{type(self).__name__}: unknown {sorted(unknown)}, missing {missing}")
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


class lazy:  # noqa: N801 - used like a module
    """A module imported on first attribute access, so a declaration module can name the
    service its handlers call without loading it while the app is indexed."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


class Param(_Declared):
    """A path parameter as a maker sees it (path parameters are always required strings)."""

    summary: str
    description: str
    dropdown: Mapping[str, str] | None = None  # x-ms-dynamic-values


class Envelope(_Declared):
    """A response body shape: the connector's envelope around one model (``data``), a list of
    them (``items``, with ``NextLink`` when ``paged``), or the bare list (``bare``: a batch
    trigger's items). ``name`` is its definition in the Swagger document."""

    name: str
    description: str
    data: str | None = None
    items: str | None = None
    paged: bool = False
    bare: bool = False
    summary: str = ""  # bare lists only: the array's x-ms-summary


class Reply(_Declared):
    """One success status of an operation: its body (an :class:`Envelope`) and headers."""

    body: Envelope | None
    description: str
    headers: Mapping[str, Schema] = EMPTY


class Operation(_Declared):
    id: str
    method: str                 # lower case, as Swagger writes it
    route: str                  # below the /api prefix
    handler: Callable[[Any], Any]
    feature: Feature
    summary: str = ""
    description: str = ""
    replies: Mapping[int, Reply] = EMPTY
    body: str | None = None     # the request body model (JSON), by name
    body_description: str = "The request body."
    doc_body: str | None = None  # the model the definition shows instead, when narrower than ``body``
    multipart: bool = False     # multipart/form-data: the handler parses it, doc_body documents it
    query: str | None = None    # the query model, by name
    path: Mapping[str, Param] = EMPTY
    errors: tuple[int, ...] = ()
    visibility: str | None = None  # x-ms-visibility, or "none": shown as an ordinary operation
    extra: Mapping[str, Any] = EMPTY  # other x-ms-* of the operation (triggers ...)
    notification: Mapping[str, Any] = EMPTY  # x-ms-notification-content (webhook triggers)
    auth: bool = True           # False: Twilio's webhooks and the review link (signature or nothing)
    connector: bool = True      # False: not an operation of the connector
    max_body: int | None = None  # None: the MAX_BODY_BYTES setting

    @property
    def status(self) -> int:
        """The status a plain return value gets: the first declared success."""
        return min(self.replies) if self.replies else 200

    def model(self, name: str | None) -> Any:
        return self.feature.model(name) if name else None

    @cached_property
    def endpoint(self) -> Any:
        """What the request runtime executes (imports pydantic and the models: call time only)."""
        from .runtime import Endpoint

        return Endpoint(self.handler, self.model(self.body), self.model(self.query), self.auth, self.status,
                        self.max_body)


class Feature:
    """The operations of one feature, in declaration order, and where their models live."""

    def __init__(self, *model_modules: str) -> None:
        self.model_modules = model_modules
        self.operations: list[Operation] = []

    def model(self, name: str) -> Any:
        for module in self.model_modules:
            found = getattr(importlib.import_module(module), name, None)
            if found is not None:
                return found
        raise LookupError(f"no model {name} in {', '.join(self.model_modules)}")

    def add(self, method: str, route: str, op_id: str, handler: Callable[[Any], Any], *,
            ok: Envelope | Reply | Mapping[int, Reply] | None = None, **declared: Any) -> Operation:
        """Declare an operation. ``ok`` is its 200 body (an Envelope), its one reply, or every
        success reply by status; errors default to what the runtime can answer for the method."""
        if isinstance(ok, Envelope):
            replies: Mapping[int, Reply] = {200: Reply(ok, declared.pop("ok_description", "Done."))}
        elif isinstance(ok, Reply):
            replies = {declared.pop("status", 200): ok}
        else:
            replies = dict(ok or {})
        method = method.lower()
        declared.setdefault("errors", READ_ERRORS if method == "get" else WRITE_ERRORS)
        if declared.get("connector", True) and declared.get("visibility") not in VISIBILITIES:
            raise ValueError(f"{op_id}: visibility must be one of {', '.join(VISIBILITIES)} (say 'none' for an "
                             f"ordinary operation), not {declared.get('visibility')!r}")
        op = Operation(op_id, method, route, handler, self, replies=replies, **declared)
        if any(o.id == op_id for o in self.operations):
            raise ValueError(f"operation {op_id} declared twice")
        self.operations.append(op)
        return op

    def route(self, method: str, route: str, op_id: str, **declared: Any) -> Callable[[Callable], Callable]:
        """Decorator form of :meth:`add`: the handler is the decorated function."""
        def wrap(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
            self.add(method, route, op_id, fn, **declared)
            return fn
        return wrap

    def get(self, route: str, op_id: str, **declared: Any) -> Callable[[Callable], Callable]:
        return self.route("get", route, op_id, **declared)

    def post(self, route: str, op_id: str, **declared: Any) -> Callable[[Callable], Callable]:
        return self.route("post", route, op_id, **declared)

    def patch(self, route: str, op_id: str, **declared: Any) -> Callable[[Callable], Callable]:
        return self.route("patch", route, op_id, **declared)

    def delete(self, route: str, op_id: str, **declared: Any) -> Callable[[Callable], Callable]:
        return self.route("delete", route, op_id, **declared)


def collect(features: Iterable[Feature]) -> dict[str, Operation]:
    """Every operation by id, in declaration order; an id declared twice is an error."""
    out: dict[str, Operation] = {}
    for feature in features:
        for op in feature.operations:
            if op.id in out:
                raise ValueError(f"operation {op.id} declared twice")
            out[op.id] = op
    return out
