"""Configuration the Functions host reads outside the app: host.json, local.settings.json, app settings.

Kept apart from the host so the CLI can load settings into the environment *before* the app is
imported (the app reads its settings at import time, exactly as it does under the real host).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devhost import azurite

log = logging.getLogger("devhost")

STORAGE_SETTING = "AzureWebJobsStorage"
LEASE_SETTING = "DEVHOST_QUEUE_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 600  # the host receives queue messages for 10 minutes, renewing while they run
MAX_LEASE_SECONDS = 7 * 24 * 3600  # the service's limit for a visibility timeout
_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<h>\d+):(?P<m>\d+)(?::(?P<s>\d+(?:\.\d+)?))?$")
_SETTING_REF = re.compile(r"%([^%]+)%")


def is_timespan(value: str) -> bool:
    """Timer schedules may be a TimeSpan ("00:05:00") instead of an NCRONTAB expression."""
    return bool(_TIMESPAN.match(value.strip()))


def parse_timespan(value: str | int | float) -> float:
    """Seconds in a .NET TimeSpan string ("hh:mm:ss", "d.hh:mm:ss"); host.json uses that format."""
    if isinstance(value, (int, float)):
        return float(value)
    match = _TIMESPAN.match(value.strip())
    if not match:
        raise ValueError(f"not a timespan (expected hh:mm:ss): {value!r}")
    days = int(match["days"] or 0)
    return days * 86400 + int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"] or 0)


@dataclass(frozen=True)
class QueueOptions:
    """host.json ``extensions.queues`` with the real host's defaults."""

    batch_size: int = 16
    new_batch_threshold: int = 8
    max_dequeue_count: int = 5
    visibility_timeout: float = 0.0
    max_polling_interval: float = 60.0
    message_encoding: str = "base64"


@dataclass(frozen=True)
class HostConfig:
    """The parts of host.json that change how devhost behaves."""

    route_prefix: str = "api"
    queues: QueueOptions = field(default_factory=QueueOptions)
    function_timeout: float | None = None

    @classmethod
    def load(cls, path: Path | None) -> "HostConfig":
        """Read host.json; a missing file means all defaults (the real host needs one, we don't)."""
        if path is None or not Path(path).exists():
            return cls()
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "HostConfig":
        extensions = data.get("extensions") or {}
        http = extensions.get("http") or {}
        prefix = http.get("routePrefix", "api")
        q = extensions.get("queues") or {}
        batch = int(q.get("batchSize", 16))
        queues = QueueOptions(
            batch_size=batch,
            new_batch_threshold=int(q.get("newBatchThreshold", batch // 2)),
            max_dequeue_count=int(q.get("maxDequeueCount", 5)),
            visibility_timeout=parse_timespan(q.get("visibilityTimeout", 0)),
            max_polling_interval=parse_timespan(q.get("maxPollingInterval", 60)),
            message_encoding=str(q.get("messageEncoding", "base64")).lower(),
        )
        timeout = data.get("functionTimeout")
        return cls(
            route_prefix=(prefix or "").strip("/"),
            queues=queues,
            function_timeout=parse_timespan(timeout) if timeout else None,
        )


def load_local_settings(
    path: Path, environ: MutableMapping[str, str] | None = None
) -> dict[str, str]:
    """Put local.settings.json ``Values`` into the environment without overriding what is there.

    Core Tools lets real environment variables win, so a developer (or a test) can override one
    setting from the shell. Falls back to ``local.settings.sample.json`` next to ``path`` when
    the file is missing (a fresh clone has only the sample). Returns what was actually applied.
    """
    env = os.environ if environ is None else environ
    source = path if path.exists() else path.with_name("local.settings.sample.json")
    if not source.exists():
        log.info("no %s (nor a sample next to it): using the environment only", path.name)
        return {}
    data = json.loads(source.read_text(encoding="utf-8-sig"))
    if data.get("IsEncrypted"):
        raise ValueError(f"{source} is encrypted; devhost only reads plain settings")
    applied: dict[str, str] = {}
    for key, value in (data.get("Values") or {}).items():
        if key in env:
            continue
        text = _setting_text(value)
        env[key] = text
        applied[key] = text
    log.info("settings: %d value(s) from %s", len(applied), source.name)
    return applied


def local_http_port(path: Path) -> int | None:
    """``Host.LocalHttpPort`` from local.settings(.sample).json, which Core Tools honours."""
    source = path if path.exists() else path.with_name("local.settings.sample.json")
    if not source.exists():
        return None
    port = (json.loads(source.read_text(encoding="utf-8-sig")).get("Host") or {}).get("LocalHttpPort")
    return int(port) if port else None


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def resolve_app_setting(value: str, environ: MutableMapping[str, str] | None = None) -> str:
    """Replace ``%NAME%`` with the app setting NAME, as the host does in binding properties."""
    env = os.environ if environ is None else environ

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise KeyError(f"app setting {name!r} (referenced as %{name}%) is not set")
        return env[name]

    return _SETTING_REF.sub(lookup, value)


def resolve_queue_lease(
    value: int | None = None, environ: MutableMapping[str, str] | None = None
) -> int:
    """How long a received queue message stays invisible between renewals.

    The argument if given, else ``DEVHOST_QUEUE_LEASE_SECONDS``, else 600 s like the host. A
    short lease lets a killed devhost's in-flight messages come back quickly (tests do that).
    """
    env = os.environ if environ is None else environ
    source = "queue_lease_seconds"
    if value is None:
        text = env.get(LEASE_SETTING, "").strip()
        if not text:
            return DEFAULT_LEASE_SECONDS
        source = LEASE_SETTING
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{LEASE_SETTING} must be a whole number of seconds, not {text!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LEASE_SECONDS:
        raise ValueError(f"{source} must be whole seconds from 1 to {MAX_LEASE_SECONDS}, not {value!r}")
    return value


def is_development_storage(value: str | None) -> bool:
    return bool(value) and value.replace(" ", "").lower() == "usedevelopmentstorage=true"


def storage_connection_string(
    setting: str | None, environ: MutableMapping[str, str] | None = None
) -> str:
    """The connection string a binding's ``connection`` names (default AzureWebJobsStorage).

    Like the host, tries ``<setting>`` and then ``AzureWebJobs<setting>``; understands
    ``UseDevelopmentStorage=true`` as Azurite on its default ports.
    """
    env = os.environ if environ is None else environ
    name = setting or STORAGE_SETTING
    value = env.get(name) or env.get(f"AzureWebJobs{name}")
    if not value:
        raise KeyError(f"storage connection setting {name!r} is not set")
    if is_development_storage(value):
        return azurite.connection_string(*azurite.DEFAULT_PORTS)
    return value
