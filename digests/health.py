"""`/healthz` and `/metrics` over HTTP for every long-running process (`mohbot run`, polling or
webhook, and `mohbot worker`), at HEALTH_LISTEN:HEALTH_PORT.

Served by the standard library's WSGI server in a thread of its own, rather than by a route on
PTB's webhook server (which exists in webhook mode only) or an aiohttp app on the bot's event
loop: the same code for all three kinds of process, no new dependency, the blocking database
queries of a check or a scrape stay off the event loop, and a stuck event loop cannot make the
endpoint hang: it shows as a poll cycle that is too old.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from digests.errors import one_line
from digests.metrics import DatabaseCollector
from digests.redaction import Redactor
from digests.services import Newsroom
from digests.store.db import session_scope
from digests.store.monitoring import MonitoringRepository

log = logging.getLogger(__name__)

# Healthy only while the last poll cycle began less than this long ago: 3 × the 60 s cycle of
# `mohbot run`'s poll job and of a worker's periodic work (a deliver-only worker's loop turns
# every second or so).
STALE_AFTER = 180.0
# Seconds the database has to answer a health check (its statement, or the wait for the
# check before it).
DATABASE_DEADLINE = 5.0

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    reason: str = ""

    def body(self) -> bytes:
        answer = {"status": "ok"} if self.ok else {"status": "unavailable", "reason": self.reason}
        return json.dumps(answer, ensure_ascii=False).encode()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    """Requests are not logged: a probe every few seconds would fill the logs."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class HealthServer:
    """Answers `/healthz` (200, or 503 with a short JSON reason) and `/metrics` (Prometheus's
    text format: this process's counters and the database's figures)."""

    def __init__(self, room: Newsroom, stale_after: float = STALE_AFTER) -> None:
        self.room = room
        self.stale_after = stale_after
        self.redact = Redactor(room.settings.secrets)
        # One database check or scrape at a time: when the database hangs, probes that pile up
        # must not take every connection of the pool from the bot.
        self.database = threading.Lock()
        self.registry = CollectorRegistry()
        self.registry.register(room.metrics.registry)
        self.registry.register(DatabaseCollector(room.sessions, room.clock, self.database))
        self._server: WSGIServer | None = None
        self._healthy = True

    @classmethod
    def start(cls, room: Newsroom, stale_after: float = STALE_AFTER) -> HealthServer:
        """Serve at HEALTH_LISTEN:HEALTH_PORT (nothing when the port is 0). A port in use is
        an OSError that says which."""
        server = cls(room, stale_after)
        port = room.settings.health_port
        if port:
            server.serve(room.settings.health_listen, port)
        return server

    def serve(self, host: str, port: int) -> None:
        server_class = _Server6 if ":" in host else _Server
        try:
            self._server = make_server(
                host, port, self.app, server_class=server_class, handler_class=_QuietHandler
            )
        except OSError as exc:
            raise OSError(f"cannot serve /healthz on {host}:{port}: {exc.strerror}") from None
        thread = threading.Thread(
            target=self._server.serve_forever, name="health-server", daemon=True
        )
        thread.start()
        log.info("health at http://%s:%d/healthz, metrics at /metrics", host, self.port)

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else 0

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def check(self) -> Health:
        health = self._check()
        if health.ok != self._healthy:
            self._healthy = health.ok
            if health.ok:
                log.info("healthy again")
            else:
                log.warning("unhealthy: %s", health.reason)
        return health

    def _check(self) -> Health:
        if not self.database.acquire(timeout=DATABASE_DEADLINE):
            return Health(False, f"database: no answer within {DATABASE_DEADLINE:g} s")
        try:
            with session_scope(self.room.sessions) as session:
                repo = MonitoringRepository(session)
                repo.limit_statements(DATABASE_DEADLINE)
                repo.ping()
        except SQLAlchemyError as exc:
            return Health(False, f"database: {self.redact(one_line(exc))}")
        finally:
            self.database.release()
        age = self.room.metrics.since_poll_cycle()
        if age is None:
            return Health(False, "starting: no poll cycle yet")
        if age > self.stale_after:
            return Health(False, f"last poll cycle {age:.0f} s ago (limit {self.stale_after:g} s)")
        return Health(True)

    def app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            health = self.check()
            status = "200 OK" if health.ok else "503 Service Unavailable"
            body, content_type = health.body(), "application/json"
        elif path == "/metrics":
            status, content_type = "200 OK", CONTENT_TYPE_LATEST
            body = generate_latest(self.registry)
        else:
            status, body, content_type = "404 Not Found", b"/healthz or /metrics\n", "text/plain"
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]
