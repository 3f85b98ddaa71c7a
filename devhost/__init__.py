"""Local stand-in for the Azure Functions host (Core Tools can't be installed here).

``python -m devhost`` runs ``function_app.app``; tests use :class:`devhost.host.DevHost` in
process. Imported lazily so ``devhost.azurite`` stays cheap to import.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DevHost"]


def __getattr__(name: str) -> Any:
    if name == "DevHost":
        from devhost.host import DevHost

        return DevHost
    raise AttributeError(f"module 'devhost' has no attribute {name!r}")
