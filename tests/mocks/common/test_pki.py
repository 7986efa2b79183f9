"""The run's test PKI: services over TLS record the protocol version and the client certificate."""

import base64
import socket
import ssl

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from dui_conformance.mocks.common import TestPki
from dui_conformance.mocks.common.pki import CLIENT_NAME, SERVER_CIPHERS, server_ciphers
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


def test_each_server_certificate_has_an_rsa_twin_from_the_same_root(pki):
    """The MSSanté operator serves the API LPS suites (ECDHE_RSA, DHE_RSA) with the RSA twin of its certificate."""
    for untrusted, root in ((False, pki.root_cert), (True, pki.other_root_cert)):
        issuer = x509.load_pem_x509_certificate(root.read_bytes())
        (ec_cert, _), (rsa_cert, rsa_key) = pki.server_chains(untrusted, with_rsa=True)
        assert (rsa_key.stat().st_mode & 0o077) == 0
        keys = []
        for path in (ec_cert, rsa_cert):
            cert = x509.load_pem_x509_certificate(path.read_bytes())
            cert.verify_directly_issued_by(issuer)
            keys.append(cert.public_key())
        assert isinstance(keys[0], ec.EllipticCurvePublicKey) and isinstance(keys[1], rsa.RSAPublicKey)
        assert keys[1].key_size == 2048
    assert pki.server_chains() == [(pki.server_cert, pki.server_key)]


def test_the_dh_group_is_rfc7919_ffdhe2048(pki):
    """CONF.03: DH group of 2048 bits at least. The file's prime is the one RFC 7919 §A.1 defines by formula."""
    der = base64.b64decode("".join(pki.dh_params.read_text().splitlines()[1:-1]))
    assert der[:9] == bytes.fromhex("308201080282010100") and der[-3:] == bytes.fromhex("020102")  # SEQUENCE {p, g=2}
    prime = int.from_bytes(der[9:-3], "big")
    e_scaled, term, k = 0, 1 << 2000, 1  # e·2^2000 = Σ 2^2000/k!
    while term:
        e_scaled, term, k = e_scaled + term, term // k, k + 1
    assert prime == 2**2048 - 2**1984 + ((e_scaled >> (2000 - 1918)) + 560316) * 2**64 - 1


def test_a_context_with_rsa_suites_serves_each_client_the_certificate_of_its_suites(pki):
    rsa_suites = ("ECDHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES128-GCM-SHA256")
    context = pki.server_context(rsa_suites=rsa_suites)
    assert [c["name"] for c in context.get_ciphers() if "RSA" in c["name"]] == list(rsa_suites)
    with InsiMock(ssl_context=context) as mock:
        port = int(mock.base_url.rsplit(":", 1)[1])
        assert _handshake(pki, port, None) == "ECDHE-ECDSA-AES128-GCM-SHA256"  # the policy's first suite still
        for suite in rsa_suites:
            assert _handshake(pki, port, suite) == suite
    assert server_ciphers() == SERVER_CIPHERS and "RSA" not in SERVER_CIPHERS  # other services: unchanged


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
    again.server_chains(with_rsa=True)[1][1].unlink()
    assert TestPki(tmp_path / "pki", reuse=True).root_cert.read_bytes() != regenerated  # the RSA twin counts too
    regenerated = (tmp_path / "pki" / TestPki.ROOT).read_bytes()
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
