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
    body: dict[str, Any] = {"Success": error is None, "Error": err, "Data": data}
    body.update(extra)
    return body


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
