"""``/healthz``, ``/readyz`` and ``/metrics`` on a small HTTP server in a daemon thread.

``/healthz``: the process is up and serving (200 always).  ``/readyz``: every
readiness check passes (each returns None, or a short reason), else 503 with
the reasons, one per line.  ``/metrics``: the registry in Prometheus text.
Nothing here names a person; who may reach the port is docs/operations.md's
"Health and metrics" (bind it to an address only the monitoring network sees).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kernel.errors import ConfigError
from kernel.observe.metrics import Registry

log = logging.getLogger(__name__)
Check = Callable[[], str | None]
CONTENT_TYPE_METRICS = "text/plain; version=0.0.4; charset=utf-8"


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9100`` for IPv6)."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"bad listen address {text!r}: HOST:PORT, e.g. 127.0.0.1:9100")
    return host, int(port)


class ObserveServer:
    def __init__(
        self, listen: str, registry: Registry, checks: Mapping[str, Check] | None = None
    ) -> None:
        host, port = parse_listen(listen)
        self.registry = registry
        self.checks = dict(checks or {})
        handler = _handler(self)
        try:
            self._server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {listen}: {exc}") from exc
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def readiness(self) -> list[str]:
        problems = []
        for name, check in self.checks.items():
            try:
                problem = check()
            except Exception as exc:  # a failing check is a reason, never a crash
                problem = f"{type(exc).__name__}: {str(exc)[:200]}"
            if problem is not None:
                problems.append(f"{name}: {problem}")
        return problems

    def start(self) -> ObserveServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="observe-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()


def _handler(server: ObserveServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._send(200, "ok\n")
            elif path == "/readyz":
                problems = server.readiness()
                self._send(503 if problems else 200, "\n".join(problems or ["ready"]) + "\n")
            elif path == "/metrics":
                self._send(200, server.registry.render(), CONTENT_TYPE_METRICS)
            else:
                self._send(404, "not found\n")

        def _send(self, status: int, body: str, content_type: str = "text/plain") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("observe http: " + format, *args)

    return Handler
