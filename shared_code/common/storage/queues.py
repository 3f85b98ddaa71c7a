"""Queue clients: base64-encoded JSON messages, as the Functions host's queue trigger expects;
a visibility delay (up to 7 days) makes a message fire at an exact time."""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

from ..config import Settings, get_settings
from .connection import build_client

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient

    from ..queue_messages import QueueMessage

MAX_DELAY_SECONDS = 7 * 24 * 3600 - 60  # Azure allows up to 7 days of visibility delay


class QueueStore:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._clients: dict[str, QueueClient] = {}
        self._lock = threading.Lock()

    def client(self, name: str) -> "QueueClient":
        if name in self._clients:
            return self._clients[name]
        with self._lock:
            if name not in self._clients:
                from azure.core.exceptions import ResourceExistsError
                from azure.storage.queue import QueueClient, TextBase64EncodePolicy

                queue = build_client(QueueClient, self.settings, "queue", name,
                                     message_encode_policy=TextBase64EncodePolicy())
                try:
                    queue.create_queue()
                except ResourceExistsError:
                    pass
                self._clients[name] = queue
            return self._clients[name]

    def put(self, message: QueueMessage, delay_seconds: float = 0) -> None:
        """Queue a typed message on its queue, visible after ``delay_seconds`` (≤ 7 days)."""
        self._send(message.QUEUE, message.wire_json(), delay_seconds)

    def send(self, name: str, payload: dict[str, Any], delay_seconds: float = 0) -> None:
        """An untyped message (tests that put what an older version queued)."""
        from ..queue_messages import wire_text

        self._send(name, wire_text(payload), delay_seconds)

    def _send(self, name: str, text: str, delay_seconds: float) -> None:
        delay = math.ceil(max(0.0, min(delay_seconds, MAX_DELAY_SECONDS)))
        self.client(name).send_message(text, visibility_timeout=delay or None)
