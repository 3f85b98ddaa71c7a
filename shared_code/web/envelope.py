"""The one response envelope, as the original connector's: Success, Error, Data — with
Error always an object and a machine-readable Error.Code."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from ..common.errors import ApiError


def envelope(data: Any = None, error: ApiError | None = None, **extra: Any) -> dict[str, Any]:
    if error is None:
        err: dict[str, Any] = {"Code": "", "Status": "Success", "Message": ""}
    else:
        err = {"Code": error.code, "Status": HTTPStatus(error.status).phrase, "Message": error.message}
        if error.field:
            err["Field"] = error.field
    body: dict[str, Any] = {"Success": error is None, "Error": err, "Data": jsonable(data)}
    body.update(extra)
    return body


def jsonable(data: Any) -> Any:
    """Response models (and lists or dicts of them) as JSON values; a field a model leaves
    unset (an optional part of a response, such as a send's Reminders) is left out."""
    if hasattr(data, "model_dump"):
        return data.model_dump(mode="json", exclude_unset=True)
    if isinstance(data, (list, tuple)):
        return [jsonable(x) for x in data]
    if isinstance(data, dict):
        return {k: jsonable(v) for k, v in data.items()}
    return data


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
