"""The mocks' server (mocks/common/server.py): loopback only, free ports, started once, stopped cleanly."""

import socket

import pytest
import requests

from dui_conformance.mocks.common import (
    LoopbackServer,
    TestPki,
)
from dui_conformance.mocks.common import server as server_module

pytestmark = pytest.mark.live


def _wsgi_ok(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "localhost", "example.org", "::", ""])
def test_server_refuses_non_loopback_hosts(host):
    with pytest.raises(ValueError, match="bouclage"):
        LoopbackServer(_wsgi_ok, host=host)


def test_servers_take_free_loopback_ports_and_stop():
    with LoopbackServer(_wsgi_ok) as first, LoopbackServer(_wsgi_ok) as second:
        assert first.base_url.startswith("http://127.0.0.1:")
        assert first.base_url != second.base_url
        assert requests.get(first.base_url, timeout=5).text == "ok"
        url = second.base_url
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)
    first.stop()  # idempotent


def test_ipv6_loopback_is_accepted():
    server = LoopbackServer(_wsgi_ok, host="::1")
    try:
        server.start()
    except OSError:
        pytest.skip("IPv6 indisponible sur cette machine")
    try:
        assert server.base_url.startswith("http://[::1]:")
        assert requests.get(server.base_url, timeout=5).text == "ok"
    finally:
        server.stop()


def test_server_starts_once():
    server = LoopbackServer(_wsgi_ok)
    with pytest.raises(RuntimeError):
        _ = server.base_url
    server.start()
    try:
        with pytest.raises(RuntimeError):
            server.start()
    finally:
        server.stop()


def test_a_client_that_never_completes_its_handshake_blocks_no_one(tmp_path):
    """The handshake runs in the connection's thread: a held TCP connection leaves the server answering others."""
    pki = TestPki(tmp_path)
    with LoopbackServer(_wsgi_ok, ssl_context=pki.server_context()) as server:
        host, port = server.base_url.removeprefix("https://").rsplit(":", 1)
        idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(3)]
        idle[1].sendall(b"\x16\x03\x01\x00\xff")  # the first bytes of a ClientHello, then silence
        try:
            for _ in range(3):
                answer = requests.get(server.base_url, timeout=5, verify=str(pki.root_cert))
                assert answer.text == "ok"
        finally:
            for sock in idle:
                sock.close()


def test_a_silent_connection_is_closed_after_the_handshake_timeout(tmp_path, monkeypatch):
    monkeypatch.setattr(server_module, "HANDSHAKE_SECONDS", 0.2)
    pki = TestPki(tmp_path)
    with LoopbackServer(_wsgi_ok, ssl_context=pki.server_context()) as server:
        host, port = server.base_url.removeprefix("https://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=5) as idle:
            assert idle.recv(1) == b""  # closed by the server, not held open
