"""Power Platform metadata on model fields: what a maker sees of a field (its x-ms-summary,
description, x-ms-visibility, dropdown) beside its validation. The connector generator
(``shared_code/web/swagger.py``) reads it from the models' JSON schema.

Standard library at import (pydantic is loaded by the first field made), so the model modules of
every feature, the lowest ones included, can use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ConfigDict

# x-ms-visibility values
ADVANCED, IMPORTANT, INTERNAL = "advanced", "important", "internal"

# A response model's model_config when the definition shows it in place, not as a $ref.
INLINE: ConfigDict = {"json_schema_extra": {"x-inline": True}}


def doc(summary: str, description: str, default: Any = ..., *, visibility: str | None = None,
        dropdown: Mapping[str, str] | None = None, schema: Mapping[str, Any] | None = None,
        **constraints: Any) -> Any:
    """A model field with what a maker sees: its x-ms-summary, description, x-ms-visibility and
    dropdown (x-ms-dynamic-values); ``schema``: keywords the definition states beyond what
    validation checks (an enum the service checks itself, the 1600-character message limit);
    ``constraints`` go to ``pydantic.Field`` (max_length, ge ...)."""
    from pydantic import Field

    extra: dict[str, Any] = {"x-ms-summary": summary}
    if visibility:
        extra["x-ms-visibility"] = visibility
    if dropdown:
        extra["x-ms-dynamic-values"] = dict(dropdown)
    extra.update(schema or {})
    return Field(default, description=description, json_schema_extra=extra, **constraints)
