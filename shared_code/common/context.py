"""Process-wide wiring: one TableStore, one QueueStore, and one instance of each feature's
repository over them.

Built on first use (cold start stays light) and reset by tests that point at another storage.
Each feature's ``storage.py`` exposes its repositories through an accessor
(``campaigns_repo()`` …) that asks ``repos().get(Class)``, so this module knows no feature:
features depend on common, never the other way round.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any, TypeVar

from .config import get_settings, reset_settings
from .storage.queues import QueueStore
from .storage.tables import TableStore

R = TypeVar("R")


class Repositories:
    def __init__(self, store: TableStore | None = None) -> None:
        self.store = store or TableStore(get_settings())
        self._made: dict[type, Any] = {}
        self._lock = threading.Lock()

    def get(self, cls: type[R]) -> R:
        """The one ``cls(store)`` of this process (repositories hold no state but their store)."""
        made = self._made.get(cls)
        if made is None:
            with self._lock:
                made = self._made.setdefault(cls, cls(self.store))
        return made

    @cached_property
    def queues(self) -> QueueStore:
        return QueueStore(self.store.settings)


_repos: Repositories | None = None


def repos() -> Repositories:
    global _repos
    if _repos is None:
        _repos = Repositories()
    return _repos


def reset() -> None:
    """Forget settings and clients (tests that change the environment call this)."""
    global _repos
    _repos = None
    reset_settings()
    from .sms.factory import reset_provider

    reset_provider()
