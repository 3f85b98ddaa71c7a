"""Shared set-up for the pipeline benchmarks (fanout, schedule_lateness, send_latency).

Real parts only: a private Azurite (temp dir, free ports), the repo's fake Twilio
(``tests/support/fake_twilio.py``: its ``capacity`` knob is a token bucket answering 429/20429
over the cap, ``latency`` sleeps per create) served from this process, and the app served by a
``python -m devhost`` SUBPROCESS started with ``tests/support/processes.start_devhost`` — a
separate process, so its peak RSS and CPU can be read from ``/proc/<pid>``.

    with Stack("fanout") as stack:
        stack.start_fake(latency=0.05)
        tenant = stack.tenant()
        group_id, seconds = stack.bulk_group(tenant, "Big", 10_000)
        host = stack.start_devhost({"SEND_RATE_PER_SECOND": "200"})
        ...

Everything started here is stopped on exit (also on Ctrl-C, SIGTERM or an error). All traffic
stays on 127.0.0.1.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
for _var in ("TWILIO_EDGE", "TWILIO_REGION"):
    os.environ.pop(_var, None)

import requests  # noqa: E402

from tests.support.fake_twilio import FakeMessage, FakeTwilio  # noqa: E402
from tests.support.processes import start_devhost  # noqa: E402
from tests.support.tenants import Tenant, new_tenant  # noqa: E402

PIPELINE_FUNCTIONS = ("Dispatch", "Send", "Scheduler")  # functions/pipeline.py

# Area codes of real US regions: with the fictional 555 exchange they make valid, unused numbers.
# (628, used by tests/support/tenants for account numbers, is not among them.)
AREA_CODES = ("201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215",
              "216", "217", "218", "219", "224", "225", "228", "229", "231", "234", "239", "240", "248",
              "251", "252", "253", "254", "256", "260", "262", "267", "269", "270", "276", "281", "301",
              "302", "303", "304", "305", "307", "308", "309", "310", "312", "313", "314", "315", "316")


class Phones:
    """Distinct valid US numbers (+1 AAA 555 NNNN), 10,000 per area code, never repeated."""

    def __init__(self) -> None:
        self._next = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> list[str]:
        with self._lock:
            start, self._next = self._next, self._next + n
        if start + n > len(AREA_CODES) * 10_000:
            raise RuntimeError("out of bench phone numbers")
        return [f"+1{AREA_CODES[i // 10_000]}555{i % 10_000:04d}" for i in range(start, start + n)]


class BenchTwilio(FakeTwilio):
    """The repo's fake Twilio plus O(1) progress counters (count, first/last accepted time),
    so polling a 40k-message run does not copy the message list four times a second."""

    def __init__(self, **knobs: Any) -> None:
        super().__init__(**knobs)
        self._tally_lock = threading.Lock()
        self._count = 0
        self._first = 0.0
        self._last = 0.0

    def _accept(self, form: dict[str, list[str]]) -> FakeMessage:
        message = super()._accept(form)
        with self._tally_lock:
            self._count += 1
            self._first = self._first or message.time
            self._last = max(self._last, message.time)
        return message

    def reset(self) -> None:
        super().reset()
        with self._tally_lock:
            self._count, self._first, self._last = 0, 0.0, 0.0

    def progress(self) -> tuple[int, float, float]:
        """(messages accepted, time.time() of the first, of the last) since the last reset."""
        with self._tally_lock:
            return self._count, self._first, self._last

    def rejected_429(self) -> int:
        return sum(1 for a in self.attempts if a.outcome == "429")


class Devhost:
    """One ``python -m devhost`` process."""

    def __init__(self, process: subprocess.Popen, port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def memory_kb(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) from /proc/<pid>/status, in kB."""
        return proc_memory_kb(self.pid)

    def log_count(self, needle: str) -> int:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return sum(1 for line in f if needle in line)
        except FileNotFoundError:
            return 0

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)


class Stack:
    """Azurite + fake Twilio + devhost subprocess(es) for one benchmark run."""

    def __init__(self, label: str, keep_dir: bool = False, in_memory: bool = False) -> None:
        self.label = label
        self.keep_dir = keep_dir
        self.in_memory = in_memory
        self.dir = Path(tempfile.mkdtemp(prefix=f"ptx-bench-{label}-"))
        self.azurite: Any = None
        self.fake: BenchTwilio | None = None
        self.hosts: list[Devhost] = []
        self.phones = Phones()
        self._started = 0

    def __enter__(self) -> "Stack":
        if threading.current_thread() is threading.main_thread():  # SIGTERM -> finally blocks run
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        try:
            self._start_azurite()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for host in self.hosts:
            try:
                host.stop()
            except Exception as err:  # keep cleaning up
                print(f"[cleanup] devhost {host.pid}: {err}", file=sys.stderr)
        self.hosts = []
        if self.fake is not None:
            self.fake.stop()
            self.fake = None
        if self.azurite is not None:
            try:
                self.azurite.stop()
            except Exception as err:
                print(f"[cleanup] azurite: {err}", file=sys.stderr)
            self.azurite = None
        if self.keep_dir:
            print(f"[kept] {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _start_azurite(self) -> None:
        """As tests/conftest.py does: a private Azurite, and this process's settings on it."""
        from devhost import azurite as az
        from shared_code.common import context

        self.azurite = az.start(self.dir / "azurite", in_memory=self.in_memory)
        os.environ["AzureWebJobsStorage"] = self.azurite.connection_string
        os.environ["SMS_PROVIDER"] = "outbox"  # this process only seeds data and reads results
        context.reset()

    def start_fake(self, **knobs: Any) -> BenchTwilio:
        self.fake = BenchTwilio(**knobs).start()
        return self.fake

    def start_devhost(self, extra_env: dict[str, str] | None = None, *, pipeline: bool = True,
                      timeout: float = 90.0) -> Devhost:
        """``python -m devhost --azurite no`` on a free port, on our Azurite, texting through the
        fake. ``pipeline=False`` disables the dispatch/send/scheduler functions
        (``AzureWebJobs.<name>.Disabled``, as in Azure): only the HTTP actions run."""
        from devhost.azurite import free_port

        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AzureWebJobs.")}
        env.update({
            "AzureWebJobsStorage": self.azurite.connection_string,
            "PYTHONUNBUFFERED": "1",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "RATE_LIMIT_PER_MINUTE": "0",   # the benchmarks send more than 600 requests a minute per key
        })
        if self.fake is not None:
            env.update(self.fake.env())     # SMS_PROVIDER=twilio, TWILIO_API_BASE_URL=<fake>, credentials
        if not pipeline:
            env.update({f"AzureWebJobs.{name}.Disabled": "true" for name in PIPELINE_FUNCTIONS})
        env.update(extra_env or {})
        log_path = self.dir / f"devhost-{self._started}.log"
        self._started += 1
        process = start_devhost(env, port, log_path, timeout=timeout)
        host = Devhost(process, port, log_path)
        self.hosts.append(host)
        return host

    def stop_devhost(self, host: Devhost) -> None:
        host.stop()
        if host in self.hosts:
            self.hosts.remove(host)

    def tenant(self, name: str = "Bench Co") -> Tenant:
        return new_tenant(name)

    def bulk_group(self, tenant: Tenant, name: str, size: int, threads: int = 4) -> tuple[str, list[str], float]:
        """A group of ``size`` new contacts written straight to the AddressBook table with the
        repository (import_contacts): per contact its row, phone-index row and member row, 33
        contacts (99 ops) per transaction, on a few threads; the group row carries the count.
        The same rows the groups API writes, ~10x faster than 40k contacts through HTTP.
        Returns (group id, phones, seconds)."""
        from shared_code.common.clock import utcnow
        from shared_code.common.ids import new_id
        from shared_code.addressbook.models import Contact, Group
        from shared_code.addressbook.storage import address_book_repo

        started = time.perf_counter()
        book, acct, now = address_book_repo(), tenant.account_id, utcnow()
        phones = self.phones.take(size)
        group = Group(GroupId=new_id(), Name=name, ContactsCount=size, CreatedAt=now, UpdatedAt=now)
        book.insert_group(acct, group)

        def write(chunk: Sequence[str]) -> None:
            contacts = [Contact(ContactId=new_id(), Phone=phone, Name=f"Bench {phone[-4:]}", GroupIds=[group.GroupId],
                                CreatedAt=now, UpdatedAt=now) for phone in chunk]
            _retrying(lambda: book.import_contacts(acct, contacts, group))

        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(write, [phones[i:i + 33] for i in range(0, size, 33)]))
        return group.GroupId, phones, time.perf_counter() - started


def _retrying(write: Any, attempts: int = 5) -> None:
    """A seeding transaction, retried when Azurite drops the connection under load (seen at
    ~40k rows on a busy machine). A retry that finds the rows already there means the first
    attempt committed and only its answer was lost."""
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError
    from shared_code.common.storage.rows import StorageConflict

    for attempt in range(1, attempts + 1):
        try:
            write()
            return
        except (ServiceRequestError, ServiceResponseError):
            if attempt == attempts:
                raise
            time.sleep(0.5 * attempt)
        except StorageConflict as err:
            if attempt > 1 and err.kind == "exists":
                return
            raise


# ---------------------------------------------------------------- warm-up and results

def warm_up(stack: Stack, host: Devhost, tenant: Tenant, timeout: float = 60.0) -> float:
    """One text through the whole pipeline (lazy imports, connection pools, queues created);
    returns its seconds from request to provider call."""
    fake = stack.fake
    assert fake is not None
    phone = stack.phones.take(1)[0]
    api = http_session(tenant.key)
    t0 = time.time()
    api.post(f"{host.base_url}/api/messages/sendsimple", json={"To": phone, "Body": "warm-up"},
             timeout=30).raise_for_status()
    wait_until(lambda: any(m.to == phone for m in fake.messages), timeout, 0.05)
    took = max((m.time for m in fake.messages if m.to == phone), default=float("nan")) - t0
    time.sleep(1.0)  # let the send's result writes and log lines settle
    return took


def recipient_outcome(campaign_id: str) -> tuple[dict[str, int], datetime | None]:
    """Status counts of a campaign's Recipients rows and the latest UpdatedAt (when the last
    result was written), read straight from the table."""
    from shared_code.messaging.storage import campaigns_repo

    counts: dict[str, int] = {}
    last: datetime | None = None
    for row in campaigns_repo().list_recipients(campaign_id, select=["Status", "UpdatedAt"]):
        status = row.get("Status", "pending")
        counts[status] = counts.get(status, 0) + 1
        at = row.get("UpdatedAt")
        if at is not None and (last is None or at > last):
            last = at
    return counts, last


# ---------------------------------------------------------------- small helpers

def http_session(key: str | None = None) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # never route 127.0.0.1 through a proxy
    if key:
        s.headers["ApiKey"] = key
    return s


def portal_pages(base_url: str, email: str) -> tuple[Any, Callable[[str, str], Callable[[], object]]]:
    """A portal session signed in as ``email``, and ``page(path, expect)``: a timed call that
    fetches the page and checks it answered 200 with ``expect`` in it (a page that fails fast
    must not pass for a fast page)."""
    from tests.support.portal_http import PortalClient

    portal = PortalClient(base_url)
    portal.sign_in(email)

    def page(path: str, expect: str) -> Callable[[], object]:
        def get() -> object:
            r = portal.get(path)
            assert r.status_code == 200 and expect in r.text, (path, r.status_code, r.text[:300])
            return r
        return get

    return portal, page


def timed(samples: int, call: Callable[[], object], before: Callable[[], object] | None = None) -> list[float]:
    """Seconds of each of ``samples`` calls, after one warm-up call; ``before`` runs untimed
    ahead of each (what a sample must find changed)."""
    call()  # warm: templates compiled, clients made
    out = []
    for _ in range(samples):
        if before is not None:
            before()
        t0 = time.perf_counter()
        call()
        out.append(time.perf_counter() - t0)
    return out


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values: Sequence[float], scale: float = 1000.0, unit: str = "ms") -> str:
    if not values:
        return "n=0"
    return (f"n={len(values)} p50={percentile(values, 50) * scale:.1f}{unit} "
            f"p95={percentile(values, 95) * scale:.1f}{unit} p99={percentile(values, 99) * scale:.1f}{unit} "
            f"max={max(values) * scale:.1f}{unit} mean={statistics.fmean(values) * scale:.1f}{unit}")


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def proc_memory_kb(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":", 1)
                    out[name] = int(value.split()[0])
    except FileNotFoundError:
        pass
    return out


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (all its threads) from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid or os.getpid()}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used by the devhost, Azurite and this process (the fake Twilio) over a span."""

    def __init__(self, stack: Stack, host: Devhost) -> None:
        self.pids = {"devhost": host.pid, "azurite": stack.azurite.process.pid, "bench+fake": os.getpid()}
        self.start = {k: cpu_seconds(p) for k, p in self.pids.items()}
        self.t0 = time.monotonic()

    def stop(self) -> dict[str, float]:
        out = {k: cpu_seconds(p) - self.start[k] for k, p in self.pids.items()}
        out["wall"] = time.monotonic() - self.t0
        return out

    @staticmethod
    def text(used: dict[str, float]) -> str:
        wall = used.get("wall") or 1.0
        parts = [f"{k} {v:.1f}s ({v / wall * 100:.0f}%)" for k, v in used.items() if k != "wall"]
        return f"CPU over {wall:.1f}s wall: " + ", ".join(parts) + " (2 cores = 200%)"


def fmt_kb(kb: int | float | None) -> str:
    return f"{kb / 1024:.1f} MB" if kb else "?"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def machine_note() -> str:
    """One line on where the figures were taken (the load from other users included)."""
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = ["?"] * 3
    return (f"machine: shared {os.cpu_count()}-core box (other engineers' test suites may run at the same time), "
            f"load average {' '.join(load)}; Python {sys.version.split()[0]}")
