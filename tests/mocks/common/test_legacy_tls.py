"""The TLS 1.0/1.1-only server: a mock's context refuses a modern client and serves a legacy one inside the block,
and gets back exactly its versions and ciphers after it."""

from __future__ import annotations

import ssl

import pytest
import requests

from dui_conformance.mocks.common import LoopbackServer, TestPki
from dui_conformance.mocks.common.legacy_tls import legacy_only
from dui_conformance.mocks.dui.app import WeakTls


def _ok(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Connection", "close")])
    return [environ["werkzeug.socket"].version().encode()]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return TestPki(tmp_path_factory.mktemp("pki"))


def _get(url: str, pki: TestPki, legacy_client: bool = False) -> str:
    with requests.Session() as http:
        http.trust_env, http.verify = False, str(pki.root_cert)
        if legacy_client:
            http.mount("https://", WeakTls(ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_1))  # TLS 1.1 only
        return http.get(url, timeout=5).text


def test_inside_the_block_only_a_legacy_client_is_served(pki):
    context = pki.server_context()
    with LoopbackServer(_ok, ssl_context=context) as server:
        assert _get(server.base_url, pki) == "TLSv1.3"
        with legacy_only([context]):
            with pytest.raises(requests.exceptions.SSLError):
                _get(server.base_url, pki)
            assert _get(server.base_url, pki, legacy_client=True) == "TLSv1.1"
        assert _get(server.base_url, pki) == "TLSv1.3"


def test_versions_and_ciphers_are_given_back(pki):
    context = pki.server_context()
    context.set_ciphers("ECDHE+AESGCM:@SECLEVEL=2")
    before = (context.minimum_version, context.maximum_version, context.security_level, context.get_ciphers())
    with legacy_only([context]):
        assert (context.maximum_version, context.security_level) == (ssl.TLSVersion.TLSv1_1, 0)
    assert (context.minimum_version, context.maximum_version, context.security_level, context.get_ciphers()) == before
