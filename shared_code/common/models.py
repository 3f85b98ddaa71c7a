"""Base models: request bodies tolerate what Power Automate sends (numbers for strings,
unknown fields) and strip whitespace; entities carry their ETag for conditional writes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, PlainSerializer, PrivateAttr, WithJsonSchema


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True,
                              coerce_numbers_to_str=True)


class EntityModel(BaseModel):
    model_config = ConfigDict(extra="ignore")
    _etag: str | None = PrivateAttr(default=None)

    @property
    def etag(self) -> str | None:
        return self._etag

    def with_etag(self, etag: str | None) -> "EntityModel":
        self._etag = etag
        return self


def _iso(value: datetime | None) -> str | None:
    from .clock import iso

    return iso(value)


# A UTC moment as the connector writes it (2026-12-01T15:30:00.000Z), documented as date-time.
UtcTime = Annotated[datetime, PlainSerializer(_iso, return_type=str),
                    WithJsonSchema({"type": "string", "format": "date-time"})]


class ResponseModel(BaseModel):
    """What an operation answers (inside the envelope). Every field is always present (null
    when it has no value) unless it has a default: those appear only when set. The connector's
    definition is generated from these, with each field's ``doc`` (summary, description)."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def of_attrs(cls, obj: object, **values: Any) -> Self:
        """The response for an entity: the fields it shares by name, and ``values``."""
        return cls(**{name: getattr(obj, name) for name in cls.model_fields
                      if name not in values and hasattr(obj, name)}, **values)
