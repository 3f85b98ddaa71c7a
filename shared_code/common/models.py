"""Base models: request bodies tolerate what Power Automate sends (numbers for strings,
unknown fields) and strip whitespace; entities carry their ETag for conditional writes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, PrivateAttr


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
