"""Shared mock infrastructure (mocks/common/harness.py): recording, /_harness endpoints, fault injection."""

from __future__ import annotations

import json
import socket

import pytest
import requests
from werkzeug.wrappers import Response

from dui_conformance.mocks.common import (
    MockService,
    harness,
)

pytestmark = pytest.mark.live


class EchoMock(MockService):
    """Echoes the body, recording its length; fails on purpose on /boom."""

    service = "echo"

    def handle(self, request, exchange):
        if request.path == "/boom":
            raise RuntimeError("panne volontaire")
        body = request.get_data()
        exchange.data["length"] = len(body)
        exchange.operation = "echo"
        return Response(body, 200, mimetype="text/plain")


ADMIN = {"Authorization": f"Bearer {harness.ADMIN_TOKEN}"}


@pytest.fixture
def echo():
    mock = EchoMock()
    mock.start()
    yield mock
    mock.stop()


def test_exchanges_recorded_and_served_redacted(echo):
    requests.post(echo.url, data=b"premier", headers={"Authorization": "Bearer abc.def"}, timeout=5)
    requests.post(echo.url, data=b'{"access_token": "jeton-secret"}', timeout=5)
    first, second = echo.recorder.exchanges()
    assert (first.id, second.id) == ("echo-0001", "echo-0002")
    assert first.request.headers["Authorization"] == "Bearer abc.def"  # raw in-process
    assert first.response.status == 200 and first.response.body == "premier"
    served = requests.get(echo.base_url + "/_harness/exchanges", headers=ADMIN, timeout=5).json()
    assert served["service"] == "echo"
    assert [e["id"] for e in served["exchanges"]] == ["echo-0001", "echo-0002"]
    assert served["exchanges"][0]["request"]["headers"]["Authorization"] == "[masqué]"
    assert "jeton-secret" not in json.dumps(served)
    later = requests.get(echo.base_url + "/_harness/exchanges?since=1", headers=ADMIN, timeout=5).json()
    assert [e["id"] for e in later["exchanges"]] == ["echo-0002"]
    assert requests.get(echo.base_url + "/_harness/exchanges?since=x", headers=ADMIN, timeout=5).status_code == 400
    assert requests.get(echo.base_url + "/_harness/inconnu", headers=ADMIN, timeout=5).status_code == 404
    assert len(echo.recorder.exchanges()) == 2  # harness calls are not exchanges


def test_the_exact_body_is_kept_for_the_checks_and_its_text_for_reports(echo):
    requests.post(echo.url, data="é".encode(), timeout=5)
    requests.post(echo.url, data=b"\xff\xfe latin", timeout=5)
    utf8, other = echo.recorder.exchanges()
    assert (utf8.request.body, utf8.request.raw, utf8.request.content()) == ("é", None, "é".encode())
    assert other.request.content() == b"\xff\xfe latin" and other.request.body == "\ufffd\ufffd latin"
    assert other.data["length"] == 8 and "raw" not in other.to_dict()["request"]
    json.dumps(other.to_dict())
    assert other.request.header("content-LENGTH") == "8"


def test_to_dict_masks_secrets_but_keeps_protocol_codes(echo):
    body = 'client_secret=s3cr3t {"id_token": "x.y.z"} <siram:Erreur code="desir_550"/>'
    requests.post(echo.url, data=body.encode(), headers={"Cookie": "session=abc"}, timeout=5)
    served = echo.recorder.exchanges()[0].to_dict()
    assert served["request"]["headers"]["Cookie"] == "[masqué]"
    assert "s3cr3t" not in json.dumps(served) and "x.y.z" not in json.dumps(served)
    assert 'code="desir_550"' in served["response"]["body"]


def test_handler_error_is_recorded_not_fatal(echo):
    assert requests.post(echo.base_url + "/boom", data=b"x", timeout=5).status_code == 500
    assert "panne volontaire" in echo.recorder.exchanges()[0].data["harness_error"]
    assert requests.post(echo.url, data=b"x", timeout=5).status_code == 200


def test_oversized_body_gets_413(echo, monkeypatch):
    monkeypatch.setattr(harness, "MAX_BODY_BYTES", 1000)
    assert requests.post(echo.url, data=b"x" * 5000, timeout=5).status_code == 413
    assert echo.recorder.exchanges()[0].response.status == 413


def test_an_oversized_chunked_body_is_refused_without_being_read_whole(echo, monkeypatch):
    """No declared length: refused as soon as the body passes the cap, while the client has not finished it."""
    monkeypatch.setattr(harness, "MAX_BODY_BYTES", 100_000)
    host, port = echo.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(4):  # 256 KiB, and the final chunk never sent
            sock.sendall(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 413")
    exchange = echo.recorder.wait_for(lambda e: True, timeout=5)
    assert exchange.response.status == 413 and exchange.request.body == ""


def test_the_administration_endpoints_require_the_harness_token(echo):
    """They change what the DUI is judged on (faults) and show every exchange: the operator's only."""
    for method, path in (("GET", "exchanges"), ("GET", "faults"), ("POST", "faults")):
        for headers in ({}, {"Authorization": "Bearer faux"}, {"Authorization": harness.ADMIN_TOKEN}):
            answer = requests.request(method, f"{echo.base_url}/_harness/{path}", headers=headers, json={}, timeout=5)
            assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert echo.faults.snapshot()["status"] is None


def test_the_exchange_log_is_served_page_by_page(echo):
    for n in range(3):
        requests.post(echo.url, data=str(n).encode(), timeout=5)
    url = echo.base_url + "/_harness/exchanges"
    first = requests.get(url, params={"limit": 2}, headers=ADMIN, timeout=5).json()
    assert [e["id"] for e in first["exchanges"]] == ["echo-0001", "echo-0002"] and first["next"] == 2
    rest = requests.get(url, params={"since": first["next"]}, headers=ADMIN, timeout=5).json()
    assert [e["id"] for e in rest["exchanges"]] == ["echo-0003"] and rest["next"] is None
    for limit in ("0", str(harness.PAGE_SIZE + 1), "x"):
        assert requests.get(url, params={"limit": limit}, headers=ADMIN, timeout=5).status_code == 400


def test_http_error_fault_for_count_requests(echo):
    echo.set_fault(status=500, count=1)
    assert requests.post(echo.url, data=b"a", timeout=5).status_code == 500
    assert requests.post(echo.url, data=b"b", timeout=5).status_code == 200
    faulted, normal = echo.recorder.exchanges()
    assert faulted.data["injected_fault"]["status"] == 500 and faulted.operation is None
    assert "injected_fault" not in normal.data and normal.operation == "echo"


def test_dropped_connection_is_recorded(echo):
    echo.set_fault(drop=True)
    with pytest.raises(requests.ConnectionError):
        requests.post(echo.url, data=b"a", timeout=5)
    exchange = echo.recorder.wait_for(lambda e: True, timeout=5)
    assert exchange.response is None and exchange.data["injected_fault"]["drop"] is True


def test_delay_fault_makes_client_time_out_and_stop_is_not_blocked(echo):
    echo.set_fault(delay=30)
    with pytest.raises(requests.Timeout):
        requests.post(echo.url, data=b"a", timeout=0.2)
    echo.stop()  # cancels the pending delay


def test_short_delay_still_answers(echo):
    echo.set_fault(delay=0.05, count=1)
    assert requests.post(echo.url, data=b"a", timeout=5).text == "a"


def test_faults_endpoint(echo):
    url = echo.base_url + "/_harness/faults"
    assert requests.post(url, json={"status": 503, "count": 2}, headers=ADMIN, timeout=5).json() == {
        "delay": 0.0,
        "drop": False,
        "status": 503,
        "count": 2,
    }
    assert requests.post(echo.url, data=b"a", timeout=5).status_code == 503
    assert requests.get(url, headers=ADMIN, timeout=5).json()["count"] == 1
    for bad in ({"delay": 1000}, {"status": 200}, {"count": -1}, {"inconnu": 1}, [1]):
        response = requests.post(url, json=bad, headers=ADMIN, timeout=5)
        assert response.status_code == 400 and response.json()["erreur"]
    assert requests.post(url, data=b"{pas du json", headers=ADMIN, timeout=5).status_code == 400
    requests.post(url, json={}, headers=ADMIN, timeout=5)
    assert requests.post(echo.url, data=b"a", timeout=5).status_code == 200
