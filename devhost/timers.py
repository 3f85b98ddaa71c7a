"""Timer triggers: 6-field NCRONTAB schedules (seconds FIRST, UTC), without the schedule monitor.

croniter puts an optional 6th field (seconds) LAST, so NCRONTAB's fields are rotated before it
sees them. Like the host, runs of one timer never overlap: a tick that comes while the previous
run is still going is skipped; a tick run later than :data:`PAST_DUE_AFTER` gets
``past_due=True``. With ``use_monitor=False`` the host keeps no schedule status, so the function's
``schedule_status`` is empty. TimeSpan and 5-field schedules, ``run_on_startup`` and the monitor
load in Azure but are not modelled here: devhost.validation refuses them.

Scale-out: in Azure a timer runs on ONE instance of the app at a time. The host wraps the timer
listener in a singleton lock, a blob lease on ``azure-webjobs-hosts/locks/{hostId}/{function}
.Listener`` in AzureWebJobsStorage (SingletonOptions: lease of LockPeriod 15 s, renewed while
held; an instance that lacks it tries again every ListenerLockRecoveryPollingInterval, 1 min),
and only the holder's timer fires. :class:`ListenerLock` models that, so several devhost
processes on one storage account tick once between them; when the holder dies its lease runs
out and another instance takes the timer over at its next try (a tick may be missed then, as in
Azure).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from azure.functions.timer import TimerRequest
from croniter import croniter

from devhost.functions import FunctionInfo
from devhost.invocation import Invoker, exception_summary, log_invocation

log = logging.getLogger("devhost")

PAST_DUE_AFTER = timedelta(seconds=2)
LOCK_CONTAINER = "azure-webjobs-hosts"    # the host's own container in AzureWebJobsStorage
LOCK_PERIOD_SECONDS = 15                  # SingletonOptions.LockPeriod
LOCK_RETRY_SECONDS = 60                   # SingletonOptions.ListenerLockRecoveryPollingInterval
HOST_ID_SETTING = "AzureFunctionsWebHost__hostid"  # the host id setting Azure reads; devhost's default below
DEFAULT_HOST_ID = "devhost"
LOCK_RETRY_SETTING = "DEVHOST_TIMER_LOCK_RETRY_SECONDS"  # a shorter recovery poll for tests


class ListenerLock:
    """The singleton lock of one timer listener across every instance on a storage account:
    held while this process keeps renewing its blob lease (every third of the period)."""

    def __init__(self, connection_string: str, function_name: str, *, host_id: str | None = None,
                 period: int = LOCK_PERIOD_SECONDS, retry: float | None = None) -> None:
        from azure.storage.blob import BlobClient

        self.host_id = host_id or os.environ.get(HOST_ID_SETTING, "").strip() or DEFAULT_HOST_ID
        self.period = period
        self.retry = retry if retry is not None else float(os.environ.get(LOCK_RETRY_SETTING) or LOCK_RETRY_SECONDS)
        self.blob_name = f"locks/{self.host_id}/{function_name}.Listener"
        self._connection_string = connection_string
        self._blob = BlobClient.from_connection_string(connection_string, LOCK_CONTAINER, self.blob_name)
        self._lease_id = str(uuid.uuid4())
        self._held = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"devhost-lock-{function_name}", daemon=True)

    @property
    def held(self) -> bool:
        return self._held

    def start(self) -> None:
        """The first try is made here, so an instance that can take the lock holds it before
        its timer's first tick."""
        self._held = self._try()
        if self._held:
            log.info("timer lock %s acquired", self.blob_name)
        self._thread.start()

    def stop(self) -> None:
        """Release the lease so another instance can take the timer at once (a clean stop)."""
        self._stop.set()
        if self._held:
            self._held = False
            try:
                self._lease().release()
            except Exception:
                pass

    def _lease(self):  # noqa: ANN202 - BlobLeaseClient, imported lazily
        from azure.storage.blob import BlobLeaseClient

        return BlobLeaseClient(self._blob, lease_id=self._lease_id)

    def _try(self) -> bool:
        """Renew the lease if held, else try to take it; False when another instance has it."""
        try:
            return self._take()
        except Exception as exc:  # storage unreachable: not the holder until a renewal works
            log.warning("timer lock %s: %s", self.blob_name, exc)
            return False

    def _take(self) -> bool:
        from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
        from azure.storage.blob import ContainerClient

        try:
            if self._held:
                self._lease().renew()
            else:
                self._lease().acquire(lease_duration=self.period)
            return True
        except ResourceNotFoundError:
            if self._held:
                return False
        except HttpResponseError:
            return False  # leased by another instance (409), or the renewal lost to an expiry
        try:  # the first instance ever: make the lock blob, then take it
            ContainerClient.from_connection_string(self._connection_string, LOCK_CONTAINER).create_container()
        except ResourceExistsError:
            pass
        try:
            self._blob.upload_blob(b"", overwrite=False)
        except (ResourceExistsError, HttpResponseError):
            pass
        try:
            self._lease().acquire(lease_duration=self.period)
            return True
        except HttpResponseError:
            return False

    def _run(self) -> None:
        self._stop.wait(self.period / 3 if self._held else self.retry)
        while not self._stop.is_set():
            was = self._held
            self._held = self._try()
            if self._held != was:
                log.info("timer lock %s %s", self.blob_name, "acquired" if self._held else "lost")
            if self._held:
                self._stop.wait(self.period / 3)
            elif not was:  # lost just now: try to take it again at once, else at the recovery poll
                self._stop.wait(self.retry)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Schedule:
    """Next occurrence after a moment, for a 6-field NCRONTAB expression."""

    def __init__(self, expression: str) -> None:
        self.expression = expression.strip()
        fields = self.expression.split()
        self._cron = " ".join(fields[1:] + fields[:1])  # NCRONTAB "s m h dom mon dow" -> croniter
        if len(fields) != 6 or not croniter.is_valid(self._cron):
            raise ValueError(f"not a 6-field NCRONTAB schedule (seconds first): {expression!r}")

    def next_after(self, moment: datetime) -> datetime:
        return croniter(self._cron, moment).get_next(datetime)


class TimerRunner:
    """One thread that sleeps until each tick, and one worker so runs never overlap."""

    def __init__(self, function: FunctionInfo, invoker: Invoker, schedule: Schedule,
                 lock: ListenerLock | None = None) -> None:
        self.function = function
        self.schedule = schedule
        self.lock = lock
        self._invoker = invoker
        self._stop = threading.Event()
        self._busy = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"devhost-timer-{function.name}")
        self._thread = threading.Thread(target=self._run, name=f"devhost-timer-{function.name}", daemon=True)

    def start(self) -> None:
        if self.lock is not None:
            self.lock.start()
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()
        if self.lock is not None:
            self.lock.stop()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout=timeout)
        self._worker.shutdown(wait=False, cancel_futures=True)

    def fire(self, scheduled: datetime, *, past_due: bool) -> bool:
        """Start a run unless one is going; False when skipped."""
        if not self._busy.acquire(blocking=False):
            when = scheduled.isoformat()
            log.info("%s [timer] tick at %s skipped: previous run still going", self.function.name, when)
            return False
        try:
            self._worker.submit(self._invoke, scheduled, past_due)
        except RuntimeError:  # worker shut down while stopping
            self._busy.release()
            return False
        return True

    def _run(self) -> None:
        tick = self.schedule.next_after(utcnow())
        while not self._stop.is_set():
            delay = (tick - utcnow()).total_seconds()
            if delay > 0:
                self._stop.wait(min(delay, 60.0))
                continue
            now = utcnow()
            if self.lock is None or self.lock.held:
                self.fire(tick, past_due=now - tick > PAST_DUE_AFTER)
            tick = self.schedule.next_after(max(now, tick))

    def _invoke(self, scheduled: datetime, past_due: bool) -> None:
        started = time.perf_counter()
        label = f"timer {self.schedule.expression}" + (" past due" if past_due else "")
        try:
            self._invoker.invoke(self.function, TimerRequest(past_due=past_due, schedule={"AdjustForDST": True}))
            log_invocation(self.function, label, "Succeeded", started)
        except Exception as exc:
            log_invocation(self.function, label, exception_summary(exc), started, exc=exc)
        finally:
            self._busy.release()
