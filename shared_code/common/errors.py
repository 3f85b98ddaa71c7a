"""The one error hierarchy. Services raise these; the HTTP layer maps them to the envelope."""

from __future__ import annotations

from datetime import datetime


class ApiError(Exception):
    """An error the caller can act on: an HTTP status, a machine-readable code, a message."""

    status: int = 400
    code: str = "BadRequest"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.headers = headers or {}


class ValidationFailed(ApiError):
    status, code = 400, "ValidationFailed"


class Unauthorized(ApiError):
    status, code = 401, "ApiKeyInvalid"


class Forbidden(ApiError):
    status, code = 403, "Forbidden"


class NotFound(ApiError):
    status, code = 404, "NotFound"


class Conflict(ApiError):
    status, code = 409, "Conflict"


class ConcurrentUpdate(Conflict):
    """A row kept changing under every retry of a read-decide-write (see ``retry_on_conflict``)."""

    code = "ConcurrentUpdate"


class PayloadTooLarge(ApiError):
    status, code = 413, "PayloadTooLarge"


class UnsupportedMediaType(ApiError):
    status, code = 415, "UnsupportedMediaType"


class Unprocessable(ApiError):
    status, code = 422, "Unprocessable"


class RateLimited(ApiError):
    status, code = 429, "RateLimited"


class KeyExpired(Unauthorized):
    code = "ApiKeyExpired"

    def __init__(self, expired_at: datetime) -> None:
        super().__init__(
            f"This API key expired on {expired_at:%Y-%m-%d %H:%M} UTC. "
            "Create a new key and update the connection with it."
        )
        self.expired_at = expired_at


class InternalError(ApiError):
    status, code = 500, "InternalError"
