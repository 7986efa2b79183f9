"""The run's test PKI: services over TLS record the protocol version and the client certificate."""

import socket
import ssl

import pytest
import requests

from dui_conformance.mocks.common import TestPki
from dui_conformance.mocks.common.pki import CLIENT_NAME, SERVER_CIPHERS
from dui_conformance.mocks.insi import InsiMock
from dui_conformance.mocks.mss import MssMock


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return TestPki(tmp_path_factory.mktemp("pki"))


def test_files_are_written_for_the_dui_configuration(pki):
    files = pki.files()
    for path in files.values():
        assert open(path, encoding="ascii").read().startswith("-----BEGIN")
    assert (pki.client_key.stat().st_mode & 0o077) == 0


def test_https_exchange_records_tls_version_and_client_subject(pki):
    with InsiMock(ssl_context=pki.server_context()) as mock:
        assert mock.url.startswith("https://127.0.0.1:")
        requests.post(
            mock.url,
            data=b"<x/>",
            verify=str(pki.root_cert),
            cert=(str(pki.client_cert), str(pki.client_key)),
            timeout=10,
        )
        requests.post(mock.url, data=b"<x/>", verify=str(pki.root_cert), timeout=10)
        with_cert, without_cert = mock.recorder.exchanges()
    assert with_cert.transport["scheme"] == "https"
    assert with_cert.transport["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert f"CN={CLIENT_NAME}" in with_cert.transport["client_subject"]
    assert without_cert.transport["client_subject"] is None


def test_plain_http_is_recorded_as_such():
    with InsiMock() as mock:
        requests.post(mock.url, data=b"<x/>", timeout=10)
        (exchange,) = mock.recorder.exchanges()
    assert exchange.transport == {"scheme": "http", "tls_version": None, "client_subject": None}


def test_a_client_trusting_our_root_refuses_the_server_of_another_root(pki):
    with InsiMock(ssl_context=pki.server_context(untrusted=True)) as mock:
        with pytest.raises(requests.exceptions.SSLError):
            requests.post(mock.url, data=b"<x/>", verify=str(pki.root_cert), timeout=10)
        assert mock.recorder.exchanges() == []


def test_client_context_speaks_tls_1_2_or_more_with_its_certificate(pki):
    import http.client

    with InsiMock(ssl_context=pki.server_context()) as mock:
        port = int(mock.base_url.rsplit(":", 1)[1])
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=pki.client_context(), timeout=10)
        conn.request("POST", "/lps", body=b"<x/>")
        conn.getresponse().read()
        conn.close()
        (exchange,) = mock.recorder.exchanges()
    assert exchange.transport["client_subject"] and exchange.transport["tls_version"] != "TLSv1.1"
    assert pki.client_context().minimum_version is ssl.TLSVersion.TLSv1_2


def test_a_kept_pki_folder_is_reused_and_completed_when_a_file_is_missing(tmp_path):
    """[services] pki: a DUI configured before the run keeps trusting the same root across runs."""
    first = TestPki(tmp_path / "pki", reuse=True)
    root = first.root_cert.read_bytes()
    assert TestPki(tmp_path / "pki", reuse=True).root_cert.read_bytes() == root
    assert TestPki.files_in(tmp_path / "pki") == first.files()
    first.client_key.unlink()
    again = TestPki(tmp_path / "pki", reuse=True)
    regenerated = again.root_cert.read_bytes()
    assert again.client_key.is_file() and regenerated != root  # regenerated as a whole
    assert TestPki(tmp_path / "pki").root_cert.read_bytes() != regenerated  # no reuse asked: always new


def test_reused_pki_is_not_rewritten(tmp_path, renames):
    TestPki(tmp_path)
    renames.clear()
    TestPki(tmp_path, reuse=True)
    assert renames == []


def _handshake(pki, port: int, cipher: str | None) -> str:
    """The suite a TLS 1.2 client offering only ``cipher`` (None: its defaults) negotiates on ``port``."""
    ctx = pki.client_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if cipher:
        ctx.set_ciphers(cipher)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return tls.cipher()[0]


def test_every_service_applies_one_cipher_policy(pki):
    """HTTPS, SMTPS and IMAPS: the policy's first suite to a client offering it, the same refusal to one offering
    only a suite outside it (IMAPS once took any suite the OpenSSL defaults allowed)."""
    with InsiMock(ssl_context=pki.server_context()) as insi, MssMock(pki) as mss:
        ports = {
            "https": int(insi.base_url.rsplit(":", 1)[1]),
            "smtps": int(mss.urls["smtps"].rsplit(":", 1)[1]),
            "imaps": int(mss.urls["imaps"].rsplit(":", 1)[1]),
        }
        for service, port in ports.items():
            assert _handshake(pki, port, None) == "ECDHE-ECDSA-AES128-GCM-SHA256", service
            for outside in ("ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-CAMELLIA128-SHA256"):
                with pytest.raises(ssl.SSLError):
                    _handshake(pki, port, outside)
        requests.post(insi.url, data=b"<x/>", verify=str(pki.root_cert), timeout=10)
        [exchange] = insi.recorder.exchanges()
        assert exchange.transport["cipher"] in SERVER_CIPHERS.split(":") or exchange.transport["cipher"].startswith(
            "TLS_"
        )  # TLS 1.3: OpenSSL's AEAD suites
