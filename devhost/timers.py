"""Timer triggers: 6-field NCRONTAB schedules (seconds FIRST, UTC), without the schedule monitor.

croniter puts an optional 6th field (seconds) LAST, so NCRONTAB's fields are rotated before it
sees them. Like the host, runs of one timer never overlap: a tick that comes while the previous
run is still going is skipped; a tick run later than :data:`PAST_DUE_AFTER` gets
``past_due=True``. With ``use_monitor=False`` the host keeps no schedule status, so the function's
``schedule_status`` is empty. TimeSpan and 5-field schedules, ``run_on_startup`` and the monitor
load in Azure but are not modelled here: devhost.validation refuses them.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from azure.functions.timer import TimerRequest
from croniter import croniter

from devhost.functions import FunctionInfo
from devhost.invocation import Invoker, exception_summary, log_invocation

log = logging.getLogger("devhost")

PAST_DUE_AFTER = timedelta(seconds=2)


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

    def __init__(self, function: FunctionInfo, invoker: Invoker, schedule: Schedule) -> None:
        self.function = function
        self.schedule = schedule
        self._invoker = invoker
        self._stop = threading.Event()
        self._busy = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"devhost-timer-{function.name}")
        self._thread = threading.Thread(target=self._run, name=f"devhost-timer-{function.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

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
