"""Timer triggers: NCRONTAB with seconds first, no overlapping runs, no schedule monitor.

TimeSpan and 5-field schedules, run_on_startup, the monitor and %NAME% schedules are refused at
start (tests/devhost/test_refusals.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

import azure.functions as func
import pytest
import requests

from devhost.host import DevHost
from devhost.timers import Schedule
from tests.devhost.helpers import wait_for


class Ticks:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.past_due: list[bool] = []
        self.status: list[dict] = []
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()

    def run(self, timer: func.TimerRequest, sleep: float = 0.0) -> None:
        with self._lock:
            self.times.append(time.monotonic())
            self.past_due.append(timer.past_due)
            self.status.append(timer.schedule_status)
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(sleep)
        with self._lock:
            self.active -= 1


def timer_app(schedule: str, ticks: Ticks, *, sleep: float = 0.0) -> func.FunctionApp:
    app = func.FunctionApp()

    @app.timer_trigger(schedule=schedule, arg_name="timer", use_monitor=False)
    def tick(timer: func.TimerRequest) -> None:
        ticks.run(timer, sleep)

    return app


def test_every_second_schedule_fires_every_second(run_host: Callable[..., DevHost]) -> None:
    ticks = Ticks()
    dev = run_host(timer_app("*/1 * * * * *", ticks))
    time.sleep(3.3)
    dev.stop()
    assert 3 <= len(ticks.times) <= 4, ticks.times
    gaps = [b - a for a, b in zip(ticks.times, ticks.times[1:])]
    assert all(0.7 <= gap <= 1.3 for gap in gaps), gaps
    assert not any(ticks.past_due)
    assert not any(ticks.status)  # no monitor, no ScheduleStatus: the worker hands over {}


def test_runs_never_overlap(run_host: Callable[..., DevHost], caplog: pytest.LogCaptureFixture) -> None:
    ticks = Ticks()
    with caplog.at_level(logging.INFO, logger="devhost"):
        dev = run_host(timer_app("* * * * * *", ticks, sleep=1.6))
        time.sleep(4.2)
        dev.stop()
    assert ticks.peak == 1
    assert 2 <= len(ticks.times) <= 3, ticks.times
    # The tick during a run is skipped (not queued): the next run starts on the tick after, ~2 s.
    gaps = [b - a for a, b in zip(ticks.times, ticks.times[1:])]
    assert all(1.85 <= gap <= 2.3 for gap in gaps), gaps
    assert "skipped: previous run still going" in caplog.text


def test_ncrontab_seconds_come_first() -> None:
    start = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert Schedule("30 */5 * * * *").next_after(start) == datetime(2024, 5, 1, 12, 0, 30, tzinfo=timezone.utc)
    assert Schedule("0 15 9 * * *").next_after(start) == datetime(2024, 5, 2, 9, 15, 0, tzinfo=timezone.utc)
    assert Schedule("0 0 * * * 1").next_after(start) == datetime(2024, 5, 6, 0, 0, 0, tzinfo=timezone.utc)
    for not_modelled in ("* * *", "00:00:10", "*/5 * * * *"):
        with pytest.raises(ValueError):
            Schedule(not_modelled)


def test_admin_endpoint_runs_a_timer_now(run_host: Callable[..., DevHost]) -> None:
    ticks = Ticks()
    dev = run_host(timer_app("0 0 0 1 1 *", ticks))
    response = requests.post(f"{dev.base_url}/admin/functions/tick", json={"input": ""}, timeout=5)
    assert response.status_code == 202
    wait_for(lambda: ticks.times, timeout=3)
    assert requests.post(f"{dev.base_url}/admin/functions/nosuch", json={}, timeout=5).status_code == 404
