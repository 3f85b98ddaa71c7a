"""Plain request/response values, so the HTTP logic runs without azure.functions (the
Functions adapter in ``functions/_http.py`` converts at the edge)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ApiRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    route: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers.items():
            if k.lower() == lname:
                return v
        return None


@dataclass
class ApiResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)  # Set-Cookie values (a dict holds one; pages set several)


@dataclass
class Result:
    """What an endpoint may return instead of bare data: a status, headers, a next page."""

    data: Any = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    next_token: str | None = None
