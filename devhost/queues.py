"""Queue triggers over Azure Storage / Azurite, with the host's semantics.

Per trigger one poller thread receives up to ``batchSize`` messages under a lease (10 minutes
unless configured) and hands each to the worker's one thread pool (devhost.invocation), fetching
a whole new batch each time in-flight falls to ``newBatchThreshold`` -- as the host's
QueueListener does, whatever the number of worker threads -- so up to ``batchSize +
newBatchThreshold`` messages of one queue are in flight at once (QueuesOptions.BatchSize docs). From receipt, while a message waits for a thread and while its
function runs, its lease is renewed every half lease, as the host does, so a killed devhost's
messages come back within one lease. Success deletes the message; failure (an exception, or
``functionTimeout`` passed) makes it visible again after ``visibilityTimeout``; the failure at
``maxDequeueCount`` copies the original text to ``<queue>-poison`` and deletes it. Text that is
not valid base64 goes to poison without running the function (host.json messageEncoding must be
base64, the host's default: devhost.settings refuses "none"). Messages are read raw (no SDK
decode policy) so one bad message can't fail a whole receive.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient
from azure.storage.queue import QueueMessage as StorageMessage
from azure.functions.queue import QueueMessage as TriggerMessage

from devhost.functions import FunctionInfo
from devhost.invocation import Invoker, exception_summary, log_invocation
from devhost.settings import QueueOptions

log = logging.getLogger("devhost")

MIN_POLL = 0.1  # first idle wait after activity; doubles up to the maximum
MAX_RECEIVE = 32  # the service's limit per receive


class QueueClients:
    """Cached clients per (connection, queue), creating each queue the first time it is used."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], QueueClient] = {}
        self._lock = threading.Lock()

    def get(self, connection_string: str, queue_name: str, *, create: bool = True) -> QueueClient:
        key = (connection_string, queue_name)
        with self._lock:
            client = self._clients.get(key)
        if client is not None:
            return client
        from azure.core.pipeline.transport import RequestsTransport

        # as the app's own clients (shared_code.common.storage.connection.transport): no
        # ~/.netrc or proxy lookups on every poll
        client = QueueClient.from_connection_string(connection_string, queue_name,
                                                    transport=RequestsTransport(use_env_settings=False))
        if create:
            try:
                client.create_queue()
            except ResourceExistsError:
                pass
        with self._lock:
            self._clients[key] = client
        return client

    def close(self) -> None:
        """Close every client's connections (Azurite waits on open ones when it shuts down)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                client.close()
            except Exception:
                pass


def decode_body(text: str) -> bytes:
    """Body bytes from the base64 message text; raises ValueError for invalid base64 (=> poison)."""
    compact = "".join(text.split())  # .NET's Convert.FromBase64String ignores whitespace
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"message is not valid base64: {exc}") from exc


def lease_lost(exc: BaseException) -> bool:
    """The message was deleted, or its pop receipt changed (another receive or update took it)."""
    if isinstance(exc, ResourceNotFoundError):
        return True
    return isinstance(exc, HttpResponseError) and exc.error_code in ("MessageNotFound", "PopReceiptMismatch")


class LeaseRenewal:
    """Keeps a received message invisible while its function runs, as the host does.

    Every ``lease / 2`` seconds the visibility is pushed ``lease`` seconds ahead and the new pop
    receipt stored in ``message.pop_receipt``, for the delete or release after the run. Use as a
    context manager around the invocation; leaving it stops renewing (and waits for a renewal in
    progress, so the receipt is final). A lost lease is logged and ends the renewals.
    """

    def __init__(self, client: QueueClient, message: StorageMessage, lease_seconds: int, queue_name: str) -> None:
        self._client = client
        self._message = message
        self._lease = lease_seconds
        self._queue_name = queue_name
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"devhost-lease-{queue_name}", daemon=True)

    def __enter__(self) -> "LeaseRenewal":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        interval = self._lease / 2
        wait = interval
        while not self._done.wait(wait):
            wait = interval
            message = self._message
            try:
                receipt = self._client.update_message(
                    message.id, pop_receipt=message.pop_receipt, visibility_timeout=self._lease
                )
            except Exception as exc:
                if lease_lost(exc):
                    log.warning(
                        "queue %s: lost the lease on message %s (%s); it may run again",
                        self._queue_name, message.id, _error_text(exc),
                    )
                    return
                log.warning(
                    "queue %s: renewing the lease on message %s failed (%s); retrying",
                    self._queue_name, message.id, _error_text(exc),
                )
                wait = interval / 4
                continue
            message.pop_receipt = receipt.pop_receipt
            message.next_visible_on = receipt.next_visible_on


def _error_text(exc: BaseException) -> str:
    """The storage error code (PopReceiptMismatch...), else the exception's first line."""
    code = getattr(exc, "error_code", None)
    if code:
        return str(getattr(code, "value", code))
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class QueueListener:
    """Polls one queue for one function."""

    def __init__(
        self,
        function: FunctionInfo,
        invoker: Invoker,
        clients: QueueClients,
        *,
        connection_string: str,
        queue_name: str,
        options: QueueOptions,
        max_poll_interval: float,
        lease_seconds: int,
    ) -> None:
        self.function = function
        self.queue_name = queue_name
        self._invoker = invoker
        self._clients = clients
        self._connection = connection_string
        self._options = options
        self._max_poll = max(MIN_POLL, max_poll_interval)
        self._lease = lease_seconds
        self._batch = max(1, min(options.batch_size, MAX_RECEIVE))
        self._threshold = max(0, options.new_batch_threshold)
        self._most = self._batch + self._threshold  # the host's ceiling per queue and instance
        self._stop = threading.Event()
        self._slots = threading.Condition()
        self._in_flight = 0
        # One waiter per message in flight: it renews the lease and waits for the worker pool.
        self._pool = ThreadPoolExecutor(max_workers=self._most, thread_name_prefix=f"devhost-q-{queue_name}")
        self._thread = threading.Thread(target=self._run, name=f"devhost-poll-{queue_name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Stop polling; messages already running finish (see :meth:`join`)."""
        self._stop.set()
        with self._slots:
            self._slots.notify_all()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self._thread.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._slots:
            self._slots.wait_for(lambda: self._in_flight == 0, timeout=max(0.0, deadline - time.monotonic()))
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- polling ---------------------------------------------------------------------------------
    def _run(self) -> None:
        client = self._connect()
        if client is None:
            return
        idle = 0.0
        while not self._stop.is_set():
            with self._slots:
                self._slots.wait_for(lambda: self._in_flight <= self._threshold or self._stop.is_set())
                wanted = self._batch  # a whole batch each time, as the host asks for
            if self._stop.is_set():
                break
            try:
                messages = self._receive(client, wanted)
            except Exception as exc:  # storage hiccup (Azurite restarting...): keep polling
                log.warning("queue %s: receive failed (%s); retrying", self.queue_name, exc)
                self._stop.wait(self._max_poll)
                continue
            if messages:
                idle = 0.0
                for message in messages:
                    with self._slots:
                        self._in_flight += 1
                    self._pool.submit(self._process, client, message)
                continue
            idle = min(self._max_poll, max(MIN_POLL, idle * 2))
            self._stop.wait(idle)

    def _connect(self) -> QueueClient | None:
        """Create the trigger queue if missing (the host does); retry while storage is down."""
        while not self._stop.is_set():
            try:
                return self._clients.get(self._connection, self.queue_name)
            except Exception as exc:
                log.warning("queue %s: cannot reach storage (%s); retrying", self.queue_name, exc)
                self._stop.wait(2.0)
        return None

    def _receive(self, client: QueueClient, count: int) -> list[StorageMessage]:
        pages = client.receive_messages(messages_per_page=count, visibility_timeout=self._lease).by_page()
        return list(next(pages, []))

    # -- one message -----------------------------------------------------------------------------
    def _process(self, client: QueueClient, message: StorageMessage) -> None:
        try:
            self._handle(client, message)
        except Exception:  # a storage error: log it, and don't leave the message leased for long
            log.exception("queue %s: error handling message %s", self.queue_name, message.id)
            try:
                self._retry_later(client, message)
            except Exception:
                pass
        finally:
            with self._slots:
                self._in_flight -= 1
                self._slots.notify_all()

    def _handle(self, client: QueueClient, message: StorageMessage) -> None:
        label = f"queue {self.queue_name} id={message.id} dequeue={message.dequeue_count}"
        started = time.perf_counter()
        content = message.content
        text = content if isinstance(content, str) else (content or b"").decode("utf-8", "replace")
        try:
            body = decode_body(text)
        except ValueError as exc:
            self._poison(client, message, text)
            log_invocation(self.function, label, f"Poisoned without running: {exc}", started)
            return
        if message.dequeue_count and message.dequeue_count > self._options.max_dequeue_count:
            self._poison(client, message, text)
            log_invocation(self.function, label, "Poisoned without running: dequeue count > maximum", started)
            return
        trigger = TriggerMessage(
            id=message.id,
            body=body,
            dequeue_count=message.dequeue_count,
            expiration_time=message.expires_on,
            insertion_time=message.inserted_on,
            time_next_visible=message.next_visible_on,
            pop_receipt=message.pop_receipt,
        )
        try:
            with LeaseRenewal(client, message, self._lease, self.queue_name):
                self._invoker.invoke(self.function, trigger)
        except Exception as exc:
            if (message.dequeue_count or 0) >= self._options.max_dequeue_count:
                self._poison(client, message, text)
                then = f"moved to {self.queue_name}-poison"
            else:
                self._retry_later(client, message)
                then = f"retry in {self._options.visibility_timeout:g}s"
            log_invocation(self.function, label, f"{exception_summary(exc)}; {then}", started, exc=exc)
            return
        self._delete(client, message)
        log_invocation(self.function, label, "Succeeded", started)

    def _delete(self, client: QueueClient, message: StorageMessage) -> None:
        try:
            client.delete_message(message.id, message.pop_receipt)
        except HttpResponseError as exc:
            if not lease_lost(exc):
                raise
            log.warning(
                "queue %s: message %s not deleted, lease lost (%s); it may run again",
                self.queue_name, message.id, _error_text(exc),
            )

    def _retry_later(self, client: QueueClient, message: StorageMessage) -> None:
        try:
            delay = int(round(self._options.visibility_timeout))
            client.update_message(message.id, pop_receipt=message.pop_receipt, visibility_timeout=delay)
        except HttpResponseError as exc:
            if not lease_lost(exc):
                raise
            log.warning(
                "queue %s: message %s not released, lease lost (%s)", self.queue_name, message.id, _error_text(exc)
            )

    def _poison(self, client: QueueClient, message: StorageMessage, text: str) -> None:
        """Copy the original text, unchanged, to <queue>-poison, then delete the message."""
        poison = self._clients.get(self._connection, f"{self.queue_name}-poison")
        poison.send_message(text)
        self._delete(client, message)

