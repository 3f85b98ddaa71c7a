"""The HTTP operations, declared per feature (``shared_code.web.operations``): each module's
``api`` holds its operations. ``functions/`` registers them, the connector generator documents
them. Standard library only at import (the worker imports this while indexing the app)."""

from __future__ import annotations

import importlib
from functools import lru_cache

from ..web.operations import Operation, collect

# In the order the connector lists them.
FEATURES = ("account", "contacts", "groups", "places", "messages", "inbound")


@lru_cache(maxsize=1)
def operations() -> dict[str, Operation]:
    return collect(importlib.import_module(f"{__name__}.{name}").api for name in FEATURES)


def find(op_id: str) -> Operation:
    return operations()[op_id]
