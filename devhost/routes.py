"""ASP.NET-style route templates, as the Functions host matches HTTP triggers.

Supports literal segments, ``{name}``, ``{name:constraint(...)}``, ``{name?}``, ``{name=default}``,
``{*rest}``/``{**rest}`` and complex segments like ``{name}.{ext}``. Matching is
case-insensitive. When several templates match, ASP.NET Core's precedence picks the winner:
literal > complex > constrained parameter > parameter > optional > catch-all, segment by segment.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")

# Precedence digits per segment (lower wins), after ASP.NET Core's RoutePrecedence.
_LITERAL, _COMPLEX, _CONSTRAINED, _PARAM, _OPTIONAL, _CATCH_ALL = 10, 20, 30, 40, 45, 50


@dataclass(frozen=True)
class Param:
    """One ``{...}`` in a template."""

    name: str
    group: str
    constraints: tuple[tuple[str, str | None], ...] = ()
    optional: bool = False
    catch_all: bool = False
    default: str | None = None


Part = str | Param


@dataclass(frozen=True)
class RouteTemplate:
    """A parsed template: a regex for the path and the parameters' constraints."""

    text: str
    params: tuple[Param, ...]
    precedence: tuple[int, ...]
    regex: re.Pattern[str] = field(repr=False)

    def match(self, path: str) -> dict[str, str] | None:
        """Route values for ``path`` (no leading prefix), or None when it does not match."""
        found = self.regex.match(_normalise(path))
        if not found:
            return None
        values: dict[str, str] = {}
        for param in self.params:
            value = found.group(param.group)
            if value is None or value == "":
                if param.default is not None:
                    values[param.name] = param.default
                elif not (param.optional or param.catch_all):
                    return None
                continue
            if not all(_check(name, arg, value) for name, arg in param.constraints):
                return None
            values[param.name] = value
        return values


def _normalise(path: str) -> str:
    """Compare paths as "/a/b": one leading slash, trailing slash ignored (ASP.NET does too)."""
    path = "/" + path.strip("/")
    return "" if path == "/" else path


def parse(template: str) -> RouteTemplate:
    """Compile a route template; raises ValueError for malformed ones (as the host refuses them)."""
    text = template.strip().lstrip("~").strip("/")
    segments = _split_segments(text) if text else []
    params: list[Param] = []
    pattern: list[str] = []
    precedence: list[int] = []
    for index, segment in enumerate(segments):
        parts = _parse_segment(segment, len(params))
        seg_params = [p for p in parts if isinstance(p, Param)]
        params.extend(seg_params)
        last = index == len(segments) - 1
        if len(parts) == 1 and isinstance(parts[0], Param):
            param = parts[0]
            if param.catch_all and not last:
                raise ValueError(f"catch-all parameter must be last in {template!r}")
            if param.catch_all:
                pattern.append(f"(?:/(?P<{param.group}>.*))?")
                precedence.append(_CATCH_ALL)
            elif param.optional or param.default is not None:
                pattern.append(f"(?:/(?P<{param.group}>[^/]+))?")
                precedence.append(_OPTIONAL)
            else:
                pattern.append(f"/(?P<{param.group}>[^/]+)")
                precedence.append(_CONSTRAINED if param.constraints else _PARAM)
        else:
            if any(p.catch_all for p in seg_params):
                raise ValueError(f"catch-all parameter cannot be part of a complex segment: {template!r}")
            pattern.append("/" + "".join(_part_regex(parts, i) for i in range(len(parts))))
            precedence.append(_LITERAL if not seg_params else _COMPLEX)
    names = [p.name.lower() for p in params]
    if len(names) != len(set(names)):
        raise ValueError(f"duplicate parameter name in route {template!r}")
    regex = re.compile("^" + "".join(pattern) + "$", re.IGNORECASE | re.DOTALL)
    return RouteTemplate(text, tuple(params), tuple(precedence), regex)


def _part_regex(parts: Sequence[Part], index: int) -> str:
    """Greedy parameters: ASP.NET matches complex segments right to left ("a.b.txt" = "a.b" + "txt")."""
    part = parts[index]
    if isinstance(part, str):
        return re.escape(part)
    optional = "?" if part.optional else ""
    return f"(?P<{part.group}>[^/]+){optional}"


def _split_segments(text: str) -> list[str]:
    """Split on "/" outside braces (a regex constraint may contain a slash)."""
    segments, depth, current = [], 0, []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        if ch == "/" and depth == 0:
            segments.append("".join(current))
            current = []
        else:
            current.append(ch)
    segments.append("".join(current))
    if any(s == "" for s in segments):
        raise ValueError(f"empty segment in route {text!r}")
    return segments


def _parse_segment(segment: str, first_group: int) -> list[Part]:
    parts: list[Part] = []
    literal: list[str] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch in "{}" and segment[i + 1 : i + 2] == ch:  # "{{" / "}}" escape a brace
            literal.append(ch)
            i += 2
            continue
        if ch == "}":
            raise ValueError(f"unmatched '}}' in route segment {segment!r}")
        if ch != "{":
            literal.append(ch)
            i += 1
            continue
        end = i + 1
        inner: list[str] = []
        while end < len(segment):
            if segment[end] in "{}" and segment[end + 1 : end + 2] == segment[end]:
                inner.append(segment[end])
                end += 2
                continue
            if segment[end] == "}":
                break
            inner.append(segment[end])
            end += 1
        else:
            raise ValueError(f"unmatched '{{' in route segment {segment!r}")
        if literal:
            parts.append("".join(literal))
            literal = []
        group = f"p{first_group + sum(isinstance(p, Param) for p in parts)}"
        parts.append(_parse_param("".join(inner), group))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return parts


def _parse_param(inner: str, group: str) -> Param:
    catch_all = inner.startswith("*")
    body = inner.lstrip("*")
    default: str | None = None
    optional = False
    # Split "name:c1:c2(arg)=default?" respecting parentheses in constraint arguments.
    pieces: list[str] = []
    depth, current = 0, []
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == ":" and depth == 0:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    tail = pieces[-1]
    eq = _top_level_index(tail, "=")
    if eq >= 0:
        tail, default = tail[:eq], tail[eq + 1 :]
    if tail.endswith("?"):
        optional, tail = True, tail[:-1]
    pieces[-1] = tail
    name = pieces[0].strip()
    if not name or not re.fullmatch(r"[^{}/?*=:]+", name):
        raise ValueError(f"invalid route parameter {inner!r}")
    constraints = tuple(_parse_constraint(c) for c in pieces[1:] if c)
    return Param(name, group, constraints, optional, catch_all, default)


def _top_level_index(text: str, char: str) -> int:
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == char and depth == 0:
            return i
    return -1


def _parse_constraint(text: str) -> tuple[str, str | None]:
    match = re.fullmatch(r"(\w+)(?:\((.*)\))?", text, re.DOTALL)
    if not match:
        raise ValueError(f"invalid route constraint {text!r}")
    name, arg = match.group(1).lower(), match.group(2)
    if name not in _CONSTRAINTS:
        raise ValueError(f"unknown route constraint {name!r}")
    return name, arg


def _int_in(bits: int) -> Callable[[str, str | None], bool]:
    def check(value: str, _: str | None) -> bool:
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            return False
        return -(2 ** (bits - 1)) <= int(value) < 2 ** (bits - 1)

    return check


def _is_float(value: str, _: str | None = None) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _is_guid(value: str, _: str | None) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


def _is_datetime(value: str, _: str | None) -> bool:
    try:
        datetime.fromisoformat(value)
        return True
    except ValueError:
        return False


def _numbers(arg: str | None) -> list[int]:
    return [int(x) for x in (arg or "").split(",") if x.strip()]


def _length(value: str, arg: str | None) -> bool:
    bounds = _numbers(arg)
    return len(value) == bounds[0] if len(bounds) == 1 else bounds[0] <= len(value) <= bounds[1]


def _as_int(value: str) -> int | None:
    return int(value) if re.fullmatch(r"[+-]?\d+", value.strip()) else None


_CONSTRAINTS: dict[str, Callable[[str, str | None], bool]] = {
    "int": _int_in(32),
    "long": _int_in(64),
    "bool": lambda v, _: v.lower() in ("true", "false"),
    "decimal": _is_float,
    "double": _is_float,
    "float": _is_float,
    "guid": _is_guid,
    "datetime": _is_datetime,
    "alpha": lambda v, _: bool(re.fullmatch(r"[a-zA-Z]+", v)),
    "required": lambda v, _: v != "",
    "minlength": lambda v, a: len(v) >= _numbers(a)[0],
    "maxlength": lambda v, a: len(v) <= _numbers(a)[0],
    "length": _length,
    "min": lambda v, a: (n := _as_int(v)) is not None and n >= _numbers(a)[0],
    "max": lambda v, a: (n := _as_int(v)) is not None and n <= _numbers(a)[0],
    "range": lambda v, a: (n := _as_int(v)) is not None and _numbers(a)[0] <= n <= _numbers(a)[1],
    "regex": lambda v, a: re.search(a or "", v, re.IGNORECASE) is not None,
}


def _check(name: str, arg: str | None, value: str) -> bool:
    return _CONSTRAINTS[name](value, arg)


@dataclass(frozen=True)
class Route(Generic[T]):
    """A template, the methods it accepts (None = all) and what to run."""

    template: RouteTemplate
    methods: frozenset[str] | None
    target: T
    name: str

    def allows(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods


class Router(Generic[T]):
    """Finds the route for (method, path) by precedence; ties go to the function name."""

    def __init__(self, routes: Iterable[Route[T]] = ()) -> None:
        self._routes: list[Route[T]] = sorted(routes, key=lambda r: (r.template.precedence, r.name))

    def resolve(self, method: str, path: str) -> tuple[Route[T], dict[str, str]] | None:
        """Best route accepting ``method`` for ``path``; a path-only match falls through to others.

        A known path with a method none of its routes accept yields None (a 404), as the host does.
        """
        for route in self._routes:
            if not route.allows(method):
                continue
            values = route.template.match(path)
            if values is not None:
                return route, values
        return None
