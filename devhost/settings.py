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
from devhost.validation import unmodelled

log = logging.getLogger("devhost")

STORAGE_SETTING = "AzureWebJobsStorage"
LEASE_SETTING = "DEVHOST_QUEUE_LEASE_SECONDS"
THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"  # the Python worker's app setting
HOST_JSON_OVERRIDE_PREFIX = "AzureFunctionsJobHost__"  # app settings that override host.json values
# host.json as far as devhost reads it; "version", "logging" and "extensionBundle" don't change
# how this app's functions behave (devhost logs its own way), so they are accepted and ignored.
_HOST_JSON_IGNORED = {"version", "logging", "extensionBundle"}
_HOST_JSON_READ = {"functionTimeout", "extensions"}
_QUEUE_KEYS = {"batchSize", "newBatchThreshold", "maxDequeueCount", "visibilityTimeout", "maxPollingInterval", "messageEncoding"}
# functionTimeout (ScriptJobHostOptionsSetup.cs): 30 min when host.json says nothing (Flex and
# dedicated plans), "-1" means no limit, and anything under 1 s is refused at start.
DEFAULT_FUNCTION_TIMEOUT = 30 * 60.0
MIN_FUNCTION_TIMEOUT = 1.0
DEFAULT_LEASE_SECONDS = 600  # the host receives queue messages for 10 minutes, renewing while they run
MAX_LEASE_SECONDS = 7 * 24 * 3600  # the service's limit for a visibility timeout
_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<h>\d+):(?P<m>\d+)(?::(?P<s>\d+(?:\.\d+)?))?$")
_DAYS = re.compile(r"^-?\d+$")  # .NET's TimeSpan.Parse reads a bare integer as days ("-1" = minus one day)


def parse_timespan(value: str | int | float) -> float:
    """Seconds in a .NET TimeSpan string ("hh:mm:ss", "d.hh:mm:ss", "-hh:mm:ss", or a bare
    number of days such as "-1"); host.json uses that format."""
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    if _DAYS.match(text):
        return int(text) * 86400.0
    sign = -1.0 if text.startswith("-") else 1.0
    match = _TIMESPAN.match(text.lstrip("-"))
    if not match:
        raise ValueError(f"not a timespan (expected hh:mm:ss): {value!r}")
    days = int(match["days"] or 0)
    return sign * (days * 86400 + int(match["h"]) * 3600 + int(match["m"]) * 60 + float(match["s"] or 0))


def format_timespan(seconds: float) -> str:
    """A duration as .NET prints a TimeSpan ("00:10:00", "1.00:00:00", "00:00:01.5000000"),
    which is how the host writes timeouts in its log lines."""
    ticks = round(abs(seconds) * 10_000_000)
    days, rest = divmod(ticks, 86400 * 10_000_000)
    hours, rest = divmod(rest, 3600 * 10_000_000)
    minutes, rest = divmod(rest, 60 * 10_000_000)
    secs, fraction = divmod(rest, 10_000_000)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}" + (f".{fraction:07d}" if fraction else "")
    return ("-" if seconds < 0 else "") + (f"{days}." if days else "") + text


@dataclass(frozen=True)
class QueueOptions:
    """host.json ``extensions.queues`` with the real host's defaults."""

    batch_size: int = 16
    new_batch_threshold: int = 8
    max_dequeue_count: int = 5
    visibility_timeout: float = 0.0
    max_polling_interval: float = 60.0


@dataclass(frozen=True)
class HostConfig:
    """The parts of host.json that change how devhost behaves."""

    route_prefix: str = "api"
    queues: QueueOptions = field(default_factory=QueueOptions)
    function_timeout: float | None = DEFAULT_FUNCTION_TIMEOUT  # seconds; None = no limit ("-1")

    @classmethod
    def load(cls, path: Path | None, environ: MutableMapping[str, str] | None = None) -> "HostConfig":
        """Read host.json (a missing file means all defaults: the real host needs one, we don't).

        Raises ValueError for what the host refuses (functionTimeout under 1 s) and for what
        devhost does not model: host.json settings it doesn't read, messageEncoding "none", and
        ``AzureFunctionsJobHost__a__b`` app settings (the host applies them over host.json).
        """
        env = os.environ if environ is None else environ
        overrides = sorted(k for k in env if k.lower().startswith(HOST_JSON_OVERRIDE_PREFIX.lower()))
        if overrides:
            raise ValueError(unmodelled(f"app settings that override host.json ({', '.join(overrides)})", "settings.py"))
        data: dict[str, Any] = {}
        if path is not None and Path(path).exists():
            data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "HostConfig":
        extensions = data.get("extensions") or {}
        http = extensions.get("http") or {}
        q = extensions.get("queues") or {}
        unread = sorted(
            [k for k in data if k not in _HOST_JSON_IGNORED | _HOST_JSON_READ]
            + [f"extensions.{k}" for k in extensions if k not in ("http", "queues")]
            + [f"extensions.http.{k}" for k in http if k != "routePrefix"]
            + [f"extensions.queues.{k}" for k in q if k not in _QUEUE_KEYS]
        )
        if unread:
            raise ValueError(unmodelled(f"the host.json settings {', '.join(unread)}", "settings.py"))
        if str(q.get("messageEncoding", "base64")).lower() != "base64":
            raise ValueError(unmodelled('host.json messageEncoding "none"', "queues.py"))
        prefix = http.get("routePrefix", "api")
        batch = int(q.get("batchSize", 16))
        queues = QueueOptions(
            batch_size=batch,
            new_batch_threshold=int(q.get("newBatchThreshold", batch // 2)),
            max_dequeue_count=int(q.get("maxDequeueCount", 5)),
            visibility_timeout=parse_timespan(q.get("visibilityTimeout", 0)),
            max_polling_interval=parse_timespan(q.get("maxPollingInterval", 60)),
        )
        return cls(
            route_prefix=(prefix or "").strip("/"),
            queues=queues,
            function_timeout=parse_function_timeout(data.get("functionTimeout")),
        )


def parse_function_timeout(value: str | int | float | None) -> float | None:
    """host.json ``functionTimeout`` as the host validates it (seconds; None = unbounded).

    Absent: 30 minutes (Flex Consumption and dedicated plans). ``-1``: no limit. Below one
    second: the host refuses to start, and so does devhost (ValueError).
    """
    if value is None or value == "":
        return DEFAULT_FUNCTION_TIMEOUT
    seconds = parse_timespan(value)
    if seconds == -86400:
        return None
    if seconds < MIN_FUNCTION_TIMEOUT:
        raise ValueError(
            f"FunctionTimeout must be greater than {format_timespan(MIN_FUNCTION_TIMEOUT)} and less than "
            f"10675199.02:48:05.4775807 (host.json functionTimeout is {value!r})."
        )
    return seconds


def sync_thread_count(environ: MutableMapping[str, str] | None = None) -> int:
    """Threads in the worker's one pool for sync invocations (dispatcher.py ``_get_sync_tp_max_workers``).

    ``PYTHON_THREADPOOL_THREAD_COUNT`` when it is a whole number >= 1; otherwise (unset, or
    invalid, which the worker logs and ignores) what ``ThreadPoolExecutor(max_workers=None)``
    picks on this Python: min(32, cores + 4).
    """
    env = os.environ if environ is None else environ
    text = env.get(THREAD_COUNT_SETTING, "").strip()
    if text:
        try:
            count = int(text)
        except ValueError:
            log.warning("%s must be an integer", THREAD_COUNT_SETTING)
        else:
            if count >= 1:
                return count
            log.warning(
                "%s must be set to a value between 1 and sys.maxint. Reverting to default value for max_workers",
                THREAD_COUNT_SETTING,
            )
    cores = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return min(32, cores + 4)


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


def storage_connection_string(environ: MutableMapping[str, str] | None = None) -> str:
    """The AzureWebJobsStorage connection string (the only connection this app's triggers name;
    devhost.validation refuses others); ``UseDevelopmentStorage=true`` is Azurite on its default
    ports, as in the host."""
    env = os.environ if environ is None else environ
    value = env.get(STORAGE_SETTING)
    if not value:
        raise KeyError(f"storage connection setting {STORAGE_SETTING!r} is not set")
    if is_development_storage(value):
        return azurite.connection_string(*azurite.DEFAULT_PORTS)
    return value
