"""Server lifecycle, exchange recording and fault injection shared by every mock."""

from dui_conformance.exchanges import Exchange, ExchangeRecorder, HttpRequest, HttpResponse

from .faults import MAX_DELAY_SECONDS, FaultPlan, Faults
from .harness import HarnessApp, MockService
from .pki import TestPki, transport_facts
from .server import LoopbackServer, require_loopback

__all__ = [
    "MAX_DELAY_SECONDS",
    "Exchange",
    "ExchangeRecorder",
    "FaultPlan",
    "Faults",
    "HarnessApp",
    "HttpRequest",
    "HttpResponse",
    "LoopbackServer",
    "MockService",
    "TestPki",
    "require_loopback",
    "transport_facts",
]
