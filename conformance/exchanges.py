"""What a mock saw and answered, kept for the checks and steps that judge it later.

The record type belongs to the library (checks and reports read it); the mocks import it from here.

Mocks stay permissive: they answer and record; the library's checks judge the recorded request
(``dui_conformance.ins.insi_request``, ``xds.dmp_requests``, ``mss.submission``…). Steps wait for
traffic with :meth:`ExchangeRecorder.wait_for` (condition variable, bounded) instead of sleeping.
A long run or a flood of large requests must not hold every body in memory: past a budget, the
oldest exchanges move to a temporary file and are read back when asked for.
"""

from __future__ import annotations

import json
import math
import pickle
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import IO, Any, Callable

from .redact import redact


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: str
    raw: bytes | None = field(default=None, repr=False)
    """The body's exact bytes when ``body`` (UTF-8 text, for reports) is not them: bytes that are not
    UTF-8, or a body shown shortened. Kept in memory for the checks, never serialised."""

    @classmethod
    def received(
        cls, method: str, path: str, headers: dict[str, str], body: bytes, shown: int | None = None
    ) -> HttpRequest:
        """The request as it arrived; its text shows at most ``shown`` bytes of the body."""
        text = body[:shown].decode("utf-8", errors="replace")
        return cls(method, path, headers, text, None if text.encode("utf-8") == body else body)

    def content(self) -> bytes:
        """The body as the client sent it."""
        return self.body.encode("utf-8") if self.raw is None else self.raw

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case of its name."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: str


# The operation of an exchange that is only a refused TLS handshake (no client certificate where the service
# requires one): evidence for the transport checks, no request for the service's own checks to judge.
TLS_REFUSED = "négociation TLS refusée"


@dataclass
class Exchange:
    """One request and its answer (``response`` is None when the connection was dropped).

    ``data`` holds parsed facts for later steps (traits sent, CR returned…); it must stay
    JSON-serialisable. An exchange is mutated only by its handler, before it is recorded.
    """

    id: str
    service: str
    started: str
    request: HttpRequest
    operation: str | None = None
    finished: str | None = None
    response: HttpResponse | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # scheme, tls_version ("TLSv1.3"…) and client_subject (RFC 4514) of the connection, as the mock saw it
    transport: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for reports and the evidence pack, with credentials masked (the raw body stays out)."""
        data = asdict(replace(self, request=replace(self.request, raw=None)))
        del data["request"]["raw"]
        return redact(data)


# Bytes of request and response bodies a recorder keeps in memory before moving exchanges to disk.
MEMORY_BUDGET = 64 * 1024 * 1024


def _weight(exchange: Exchange) -> int:
    request = exchange.request
    size = len(request.body) + (len(request.raw) if request.raw is not None else 0)
    return size + (len(exchange.response.body) if exchange.response is not None else 0)


@dataclass(frozen=True)
class _OnDisk:
    """Where a moved exchange lies in the recorder's spill file."""

    offset: int
    length: int


class ExchangeRecorder:
    """Thread-safe, append-only list of completed exchanges of one service; past :data:`MEMORY_BUDGET` of
    bodies, the oldest ones wait in a temporary file (deleted when the recorder is) until read."""

    def __init__(self, service: str):
        self.service = service
        self._items: list[Exchange | _OnDisk] = []
        self._counter = 0
        self._cond = threading.Condition()
        self._resident = 0  # body bytes of the exchanges held in memory
        self._oldest_resident = 0
        self._spill: IO[bytes] | None = None

    def next_id(self) -> str:
        with self._cond:
            self._counter += 1
            return f"{self.service}-{self._counter:04d}"

    def add(self, exchange: Exchange) -> None:
        with self._cond:
            self._items.append(exchange)
            self._resident += _weight(exchange)
            while self._resident > MEMORY_BUDGET and self._oldest_resident < len(self._items) - 1:
                self._move_to_disk(self._oldest_resident)
                self._oldest_resident += 1
            self._cond.notify_all()

    def _move_to_disk(self, index: int) -> None:
        exchange = self._items[index]
        if not isinstance(exchange, Exchange):
            return
        if self._spill is None:
            self._spill = tempfile.NamedTemporaryFile(prefix="dui-conformance-echanges-", suffix=".bin")
        blob = pickle.dumps(exchange, protocol=pickle.HIGHEST_PROTOCOL)
        self._spill.seek(0, 2)
        self._items[index] = _OnDisk(self._spill.tell(), len(blob))
        self._spill.write(blob)
        self._resident -= _weight(exchange)

    def _load(self, item: Exchange | _OnDisk) -> Exchange:
        if isinstance(item, Exchange):
            return item
        assert self._spill is not None  # an _OnDisk exists only once the file does
        self._spill.seek(item.offset)
        # our own file, written by this process just above: never data from outside
        return pickle.loads(self._spill.read(item.length))

    def mark(self) -> int:
        """Position to pass as ``since`` to see only exchanges recorded from now on."""
        with self._cond:
            return len(self._items)

    def exchanges(self, since: int = 0, limit: int | None = None) -> list[Exchange]:
        with self._cond:
            end = None if limit is None else since + limit
            return [self._load(item) for item in self._items[since:end]]

    def wait_for(self, predicate: Callable[[Exchange], bool], timeout: float, since: int = 0) -> Exchange | None:
        """First exchange (from position ``since``) matching ``predicate``, or None after ``timeout`` s."""
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout >= 0):
            raise ValueError("Le délai d'attente doit être un nombre de secondes fini et positif.")
        deadline = time.monotonic() + timeout
        position = since
        with self._cond:
            while True:
                for item in self._items[position:]:
                    exchange = self._load(item)
                    if predicate(exchange):
                        return exchange
                position = max(position, len(self._items))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def to_json(self, since: int = 0, limit: int | None = None) -> str:
        """One page of the log: ``next`` is the ``since`` of the following page, None on the last one."""
        page = self.exchanges(since, limit)
        following = since + len(page)
        return json.dumps(
            {
                "service": self.service,
                "exchanges": [e.to_dict() for e in page],
                "next": following if following < self.mark() else None,
            },
            ensure_ascii=False,
        )
