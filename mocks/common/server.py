"""Run a WSGI app on a free loopback port in a background thread.

Mocks must never be reachable from another machine: the host is checked to be a loopback
IP literal (no name resolution), and port 0 lets the OS pick a free port so parallel test
workers never collide.
"""

from __future__ import annotations

import ipaddress
import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

# How often serve_forever checks for shutdown; small so stop() returns quickly.
_POLL_SECONDS = 0.05
_JOIN_SECONDS = 5.0


class _QuietHandler(WSGIRequestHandler):
    """Do not print one line per request: exchanges are recorded, not logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


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

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, ssl_context=None):
        self.app = app
        self.ssl_context = ssl_context
        self.host = require_loopback(host)
        self.port = port
        self._server: BaseWSGIServer | None = None
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
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler, ssl_context=self.ssl_context
        )
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
