"""HTTP trigger routes as the Functions host matches them, for the templates this app uses.

A template here is "/"-separated segments, each a literal or a whole-segment ``{name}``.
Matching is case-insensitive; a trailing "/" is ignored. The host sorts its routes before
matching (WebJobs HTTP extension, ``Routing/WebJobsRouteBuilder.cs`` ``RouteComparison``): segment
by segment a literal comes before a parameter, so ``contacts/contactnew`` beats
``contacts/{contactId}``; the first route whose template and method match wins, and a path whose
routes all refuse the method falls through (a 404 if none is left).

ASP.NET Core templates can also carry constraints (``{id:int}``), optional parameters
(``{id?}``), defaults (``{page=1}``), catch-alls (``{*rest}``) and complex segments
(``{name}.{ext}``). This app uses one of them: the portal's catch-all at the site root. The
host never matches an empty route for "/" (an empty route means the function's name;
Azure/azure-functions-host#4638, Azure/Azure-Functions#2473), but a catch-all does
(azure-functions-host#1102). A template that is exactly one catch-all, ``{*name}``, is modelled:
it matches every path, the empty one included, and comes after every other route (ASP.NET's
route precedence puts a catch-all last), so a literal or parameter route always wins; its route
value is the rest of the path (none for "/"). Every other constraint, optional, default,
catch-all or complex segment is named by :func:`unsupported` and devhost.validation refuses the
app, instead of matching it differently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

_PARAM = re.compile(r"^\{([^{}/?*=:]+)\}$")  # ASP.NET's parameter-name characters, nothing else
_LITERAL = re.compile(r"^[^{}]+$")
_CATCH_ALL = re.compile(r"^\{\*([^{}/?*=:]+)\}$")  # a whole-template catch-all, {*path}


def catch_all(template: str) -> str | None:
    """The parameter name of a template that is one catch-all (``{*path}``), else None."""
    found = _CATCH_ALL.match(template.strip().strip("/"))
    return found.group(1) if found else None


def _segments(template: str) -> list[str]:
    return _path_segments(template.strip())


def _path_segments(path: str) -> list[str]:
    """A request path's segments: only "/" is trimmed; whitespace (%0A, %20) is a value."""
    text = path.strip("/")
    return text.split("/") if text else []


def unsupported(template: str) -> str | None:
    """What in ``template`` devhost does not model (None: nothing), for the refusal at start."""
    names: set[str] = set()
    if catch_all(template):
        return None
    for segment in _segments(template):
        if not segment:
            return "empty route segments ('a//b')"
        param = _PARAM.match(segment)
        if param:
            if param.group(1).lower() in names:
                return f"a route parameter used twice ({segment})"
            names.add(param.group(1).lower())
        elif not _LITERAL.match(segment):
            return (
                f"the route segment {segment!r}: only literals and whole-segment {{name}} parameters are modelled, "
                "not constraints, optional/default values, catch-alls or complex segments"
            )
    return None


@dataclass(frozen=True)
class Route(Generic[T]):
    """A template, the methods it accepts (None = all) and what to run."""

    template: str
    methods: frozenset[str] | None
    target: T

    @property
    def parts(self) -> tuple[str | None, ...]:
        """Each segment lower-cased, None for a parameter (a catch-all template has none)."""
        if catch_all(self.template):
            return ()
        return tuple(None if s.startswith("{") else s.lower() for s in _segments(self.template))

    @property
    def precedence(self) -> tuple[int, ...]:
        if catch_all(self.template):
            return (2,)  # after every literal and parameter route
        return tuple(1 if part is None else 0 for part in self.parts)

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """Route values for ``path`` (below the route prefix), or None."""
        if self.methods is not None and method.upper() not in self.methods:
            return None
        rest = catch_all(self.template)
        if rest is not None:
            value = path.strip("/")
            return {rest: value} if value else {}
        segments = _path_segments(path)
        if len(segments) != len(self.parts) or "" in segments:
            return None
        values: dict[str, str] = {}
        for template_segment, part, segment in zip(_segments(self.template), self.parts, segments):
            if part is None:
                values[template_segment[1:-1]] = segment
            elif part != segment.lower():
                return None
        return values


class Router(Generic[T]):
    """The host's ordered route list: literal segments before parameters, segment by segment."""

    def __init__(self, routes: Iterable[Route[T]] = ()) -> None:
        self._routes = sorted(routes, key=lambda r: r.precedence)

    def resolve(self, method: str, path: str) -> tuple[Route[T], dict[str, str]] | None:
        for route in self._routes:
            values = route.match(method, path)
            if values is not None:
                return route, values
        return None
