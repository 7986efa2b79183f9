"""The WSGI layer every mock shares: recording, fault injection and the /_harness endpoints.

A mock only writes ``handle(request, exchange) -> Response``; this layer reads the body
(size-capped before it is buffered), applies the current fault plan, records the finished exchange,
and serves ``GET /_harness/exchanges`` (paged) and ``GET|POST /_harness/faults`` (JSON) for
out-of-process use — to the harness's operator only: they change what the DUI is judged on, so they
require the process's administration token (:data:`ADMIN_TOKEN`) as a bearer token.
"""

from __future__ import annotations

import abc
import hmac
import io
import json
import logging
import secrets
import socket

from werkzeug.wrappers import Request, Response

from dui_conformance.exchanges import TLS_REFUSED, Exchange, ExchangeRecorder, HttpRequest, HttpResponse, now_iso

from .faults import Faults
from .pki import transport_facts
from .server import LoopbackServer

MAX_BODY_BYTES = 20 * 1024 * 1024
HARNESS_PREFIX = "/_harness/"
# Exchanges per page of GET /_harness/exchanges (the client asks for fewer with ``limit``).
PAGE_SIZE = 100
# One per process: ``dui-conformance mocks`` and ``python -m dui_conformance.mocks.insi`` print it.
ADMIN_TOKEN = secrets.token_urlsafe(24)
_READ_CHUNK = 64 * 1024
_log = logging.getLogger(__name__)


def _json(payload: object, status: int = 200) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status, mimetype="application/json")


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _read_body(request: Request) -> bytes | None:
    """The body, or None when it exceeds :data:`MAX_BODY_BYTES` — decided from the declared length before
    reading, and while reading a chunked body, so that a rejected body is never buffered whole."""
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        return None
    body = bytearray()
    stream = request.stream
    while chunk := stream.read(_READ_CHUNK):
        if len(body) + len(chunk) > MAX_BODY_BYTES:
            return None
        body += chunk
    return bytes(body)


def _authorised(request: Request) -> bool:
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), ADMIN_TOKEN.encode())


class HarnessApp:
    """WSGI app wrapping a mock's handler."""

    def __init__(self, service: str, handler, recorder: ExchangeRecorder, faults: Faults):
        self.service = service
        self.handler = handler
        self.recorder = recorder
        self.faults = faults

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith(HARNESS_PREFIX):
            return self._harness(request)(environ, start_response)
        response = self._exchange(request, environ)
        if environ.get("wsgi.url_scheme") == "https" or response.status_code == 413:
            # One TLS handshake per request: a certificate swapped mid-run (untrusted-server scenario) is seen at once;
            # after a refused body, the rest of it is never read.
            response.headers["Connection"] = "close"
        return response(environ, start_response)

    def _exchange(self, request: Request, environ) -> Response:
        read = _read_body(request)
        body, too_large = (b"", True) if read is None else (read, False)
        # the handler reads the body, already read, through a request of its own as usual
        request = Request(dict(environ, **{"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True}))
        path = request.full_path.rstrip("?")
        exchange = Exchange(
            id=self.recorder.next_id(),
            service=self.service,
            started=now_iso(),
            request=HttpRequest.received(request.method, path, dict(request.headers), body),
            transport=transport_facts(environ),
        )
        plan = self.faults.take()
        if plan is not None:
            exchange.data["injected_fault"] = {"delay": plan.delay, "drop": plan.drop, "status": plan.status}
            self.faults.sleep(plan.delay)
        if plan is not None and plan.drop:
            self._finish(exchange, None)
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            raise ConnectionAbortedError("coupure de connexion injectée")  # werkzeug treats it as dropped
        if too_large:
            response = Response(f"Corps de requête au-delà de {MAX_BODY_BYTES} octets.", 413)
        elif plan is not None and plan.status:
            response = Response(f"Erreur {plan.status} injectée par le harnais.", plan.status, mimetype="text/plain")
        else:
            response = self._handle(request, exchange)
        self._finish(exchange, response)
        return response

    def _handle(self, request: Request, exchange: Exchange) -> Response:
        try:
            return self.handler(request, exchange)
        except Exception as exc:  # a harness fault, not the SUT's: keep serving, keep the trace
            _log.exception("Mock %s failed on %s", self.service, exchange.id)
            exchange.data["harness_error"] = repr(exc)
            return Response("Erreur interne du simulateur.", 500, mimetype="text/plain")

    def _finish(self, exchange: Exchange, response: Response | None) -> None:
        if response is not None:
            exchange.response = HttpResponse(response.status_code, dict(response.headers), _text(response.get_data()))
        exchange.finished = now_iso()
        self.recorder.add(exchange)

    def _harness(self, request: Request) -> Response:
        if not _authorised(request):
            response = _json({"erreur": "Point d'administration du harnais : jeton d'administration requis."}, 401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="harnais"'
            return response
        name = request.path[len(HARNESS_PREFIX) :].strip("/")
        if name == "exchanges" and request.method == "GET":
            since, limit = request.args.get("since", "0"), request.args.get("limit", str(PAGE_SIZE))
            if not since.isdigit() or not limit.isdigit() or not 0 < int(limit) <= PAGE_SIZE:
                return _json(
                    {"erreur": f"« since » doit être un entier positif, « limit » un entier de 1 à {PAGE_SIZE}."}, 400
                )
            return Response(self.recorder.to_json(int(since), int(limit)), mimetype="application/json")
        if name == "faults" and request.method == "GET":
            return _json(self.faults.snapshot())
        if name == "faults" and request.method == "POST":
            try:
                self.faults.set_from_json(json.loads(request.get_data() or b"{}"))
            except (ValueError, TypeError) as exc:
                return _json({"erreur": str(exc)}, 400)
            return _json(self.faults.snapshot())
        return _json({"erreur": f"Point d'accès du harnais inconnu : {request.method} {request.path}"}, 404)


class MockService(abc.ABC):
    """Base of every mock: one loopback server, one recorder, one fault plan."""

    service: str = "mock"
    endpoint_path: str = "/"

    def __init__(self, port: int = 0, ssl_context=None):
        """``ssl_context`` (from :meth:`~.pki.TestPki.server_context`) serves HTTPS; None serves plain HTTP."""
        self.recorder = ExchangeRecorder(self.service)
        self.faults = Faults()
        self._server = LoopbackServer(
            HarnessApp(self.service, self.handle, self.recorder, self.faults),
            port=port,
            ssl_context=ssl_context,
            on_missing_client_certificate=self._record_refusal,
        )

    def _record_refusal(self, reason: str) -> None:
        exchange = Exchange(
            id=self.recorder.next_id(),
            service=self.service,
            started=now_iso(),
            request=HttpRequest("TLS", "", {}, ""),
            operation=TLS_REFUSED,
            transport={"scheme": "https", "tls_version": None, "client_subject": None},
            data={"tls_refus": reason},
        )
        exchange.finished = exchange.started
        self.recorder.add(exchange)

    @abc.abstractmethod
    def handle(self, request: Request, exchange: Exchange) -> Response:
        """Answer one request, recording in ``exchange.data`` the facts later checks and steps need."""

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def url(self) -> str:
        """The service endpoint the DUI must be configured with."""
        return self.base_url + self.endpoint_path

    def start(self) -> str:
        self._server.start()
        return self.url

    def stop(self) -> None:
        self.faults.cancel()
        self._server.stop()

    def reset(self) -> None:
        """Back to a fresh service between scenarios; recorded exchanges stay (they are evidence)."""
        self.faults.reset()

    def set_fault(
        self, delay: float = 0.0, drop: bool = False, status: int | None = None, count: int | None = None
    ) -> None:
        self.faults.set(delay=delay, drop=drop, status=status, count=count)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
