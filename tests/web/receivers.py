"""Real local receivers for notifications: an HTTP server and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from services.broker_admin.local_broker import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A local http.server answering with scripted statuses (then 200), recording requests."""

    def __init__(self, statuses: list[int] | None = None, port: int | None = None) -> None:
        self.requests: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self.statuses = list(statuses or [])
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.count += 1
                receiver.requests.put(Received(self.path, dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.port = port or free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


class _Mailbox:
    def __init__(self, reply: str = "250 OK") -> None:
        self.messages: queue.SimpleQueue[tuple[list[str], EmailMessage]] = queue.SimpleQueue()
        self.reply = reply

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.reply.startswith("250"):
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.put((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return self.reply


class SmtpReceiver:
    """aiosmtpd on a free local port; ``reply`` other than 250 refuses every message."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.mailbox = _Mailbox(reply)
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def get(self, timeout: float = 10.0) -> tuple[list[str], EmailMessage]:
        return self.mailbox.messages.get(timeout=timeout)
