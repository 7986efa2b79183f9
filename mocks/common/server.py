"""Run a WSGI app on a free loopback port in a background thread.

Mocks must never be reachable from another machine: the host is checked to be a loopback
IP literal (no name resolution), and port 0 lets the OS pick a free port so parallel test
workers never collide. One rude client must not block the others: the TLS handshake runs in
the connection's own thread (werkzeug runs it in the accept loop), bounded in time, and a
connection that stays silent is closed.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
import threading
from collections.abc import Callable
from typing import cast

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

_log = logging.getLogger(__name__)
# How often serve_forever checks for shutdown; small so stop() returns quickly.
_POLL_SECONDS = 0.05
_JOIN_SECONDS = 5.0
# A client has this long to complete its TLS handshake, then this long between two reads.
HANDSHAKE_SECONDS = 10.0
IDLE_SECONDS = 30.0


class _QuietHandler(WSGIRequestHandler):
    """Handshake in the connection's thread; do not print one line per request (exchanges are recorded)."""

    timeout = IDLE_SECONDS
    _handshake_failed = False

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.settimeout(HANDSHAKE_SECONDS)
            try:
                self.connection.do_handshake()
            except ssl.SSLError as exc:
                self._handshake_failed = True
                if exc.reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE":  # refused for want of the DUI's certificate
                    cast(_Server, self.server).on_missing_client_certificate(f"{exc.library}: {exc.reason}")
            except (OSError, ValueError):  # abandoned handshake: nothing to serve, nothing to record
                self._handshake_failed = True
            self.connection.settimeout(self.timeout)

    def handle(self) -> None:
        if not self._handshake_failed:
            super().handle()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args) -> None:
        """A rude client's broken handshake or request line is the mock's business, not the console's."""
        _log.debug("%s %s", self.address_string(), message % args if args else message)


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server, told what to do with a handshake refused for want of a client certificate."""

    on_missing_client_certificate: Callable[[str], None]


def require_loopback(host: str) -> str:
    """Return ``host`` if it is a loopback IP literal, else raise ValueError (French)."""
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        raise ValueError(
            f"Adresse d'écoute « {host} » refusée : un simulateur n'écoute que sur une adresse "
            "de bouclage écrite en chiffres (127.0.0.1 ou ::1)."
        )
    return host


class LoopbackServer:
    """A threaded werkzeug server for one WSGI app, over TLS when given an ``ssl_context``; start once, stop once."""

    def __init__(
        self,
        app,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context=None,
        on_missing_client_certificate: Callable[[str], None] = lambda reason: None,
    ):
        """``on_missing_client_certificate(reason)``: called when a context that requires a client certificate
        refuses a handshake without one (the connection's only trace: no request was read)."""
        self.app = app
        self.ssl_context = ssl_context
        self.on_missing_client_certificate = on_missing_client_certificate
        self.host = require_loopback(host)
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("Serveur non démarré.")
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self._server.server_port}"

    def start(self) -> str:
        if self._server is not None:
            raise RuntimeError("Serveur déjà démarré.")
        server = _Server(self.host, self.port, self.app, handler=_QuietHandler)
        if self.ssl_context is not None:
            # Wrapped here rather than by werkzeug, whose accept loop would run every handshake itself.
            server.socket = self.ssl_context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
            server.ssl_context = self.ssl_context
        server.on_missing_client_certificate = self.on_missing_client_certificate
        self._server = server
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"loopback-{self._server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None or not thread.is_alive():
            return
        server.shutdown()
        thread.join(_JOIN_SECONDS)
        server.server_close()

    def __enter__(self) -> "LoopbackServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
