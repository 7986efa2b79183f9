"""The mocks' server (mocks/common/server.py): loopback only, free ports, started once, stopped cleanly."""

import pytest
import requests

from dui_conformance.mocks.common import (
    LoopbackServer,
)

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
