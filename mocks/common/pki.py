"""One test PKI per run, standing in for IGC-Santé, so every simulated service speaks TLS as in production.

:class:`TestPki` writes PEM files into a folder the DUI configuration can point at:

- ``racine-igc-sante-test.pem``: the root the DUI must trust (and only it);
- ``serveur.pem`` / ``serveur.key``: the services' certificate, for 127.0.0.1, ::1 and localhost;
- ``client-dui.pem`` / ``client-dui.key``: the DUI's client certificate (mTLS, BAL applicative);
- ``autre-racine.pem``, ``serveur-autre-racine.pem`` / ``.key``: a server certificate from another root,
  served by the scenario where the DUI must refuse a server it cannot chain to its root;
- ``serveur-rsa.pem`` / ``.key``, ``serveur-autre-racine-rsa.pem`` / ``.key``: the same two server certificates with
  an RSA key, that the MSSanté operator serves beside the EC ones (the API LPS suites are ``ECDHE_RSA`` and
  ``DHE_RSA``, SC.MSS/CONF.03), with ``dh-ffdhe2048.pem``, the DH group of its ``DHE_RSA`` suites.

Servers are permissive: they accept TLS 1.0 and up and ask for a client certificate without
requiring one, so the checks can *see* a weak protocol or a missing certificate (see
:func:`transport_facts`) instead of the handshake silently failing. Every service (HTTPS, SMTP, IMAP)
offers the same suites, in :data:`SERVER_CIPHERS`' order; the MSSanté operator adds the RSA suites of its API LPS
(:func:`server_ciphers`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dui_conformance.files import write_atomically

ROOT_NAME = "AC IGC-SANTE TEST SIMULEE (dui-conformance)"
OTHER_ROOT_NAME = "AC INCONNUE (dui-conformance)"
CLIENT_NAME = "DUI-TEST-BAL-APPLICATIVE"
_VALIDITY = dt.timedelta(days=2)
# One cipher policy for every simulated service, the server's order first. TLS 1.2: ECDHE with AES-GCM, then
# AES-CBC with SHA-2, as the MSSanté API LPS list (SC.MSS/CONF.03, ../shared/reference/vague2-and-tools.md) —
# in their ECDSA form, the services' certificate being EC. Then the SHA-1 CBC suites, the only ones TLS 1.0 and 1.1
# know: offered last, so that an obsolete client is seen (GEN-10 judges its version) rather than cut off;
# a TLS 1.2 client gets one only if it offers nothing better. TLS 1.3 suites are OpenSSL's (all AEAD).
_MODERN = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
)
_LEGACY = (
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "@SECLEVEL=0",  # OpenSSL 3 refuses TLS 1.0/1.1 from security level 1 on
)


def server_ciphers(added: Sequence[str] = ()) -> str:
    """The one policy, with ``added`` suites (the MSSanté operator's RSA suites of the API LPS) after its SHA-2 suites
    and before the SHA-1 ones: a client offering both keeps getting the policy's first suite."""
    return ":".join((*_MODERN, *added, *_LEGACY))


SERVER_CIPHERS = server_ciphers()
# The DH group of the DHE suites: RFC 7919's ffdhe2048 (a published group, not generated: CONF.03 asks for 2048 bits
# at least), as `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048` writes it.
FFDHE2048 = b"""-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
"""


def _name(common_name: str, unit: str = "dui-conformance") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Harnais de test (fictif)"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
    )


@dataclass(frozen=True)
class _Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _root(common_name: str) -> _Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(common_name)
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _Issued(cert, key)


def _leaf(
    issuer: _Issued, common_name: str, usage, sans: list[x509.GeneralName] | None = None, with_rsa: bool = False
) -> _Issued:
    """``with_rsa``: an RSA 2048 key rather than an EC P-256 one (signed by the issuer's EC key all the same)."""
    key = rsa.generate_private_key(65537, 2048) if with_rsa else ec.generate_private_key(ec.SECP256R1())
    builder = (
        _builder(_name(common_name), issuer.cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return _Issued(builder.sign(issuer.key, hashes.SHA256()), key)


_LOOPBACK_SANS = [
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    x509.IPAddress(ipaddress.ip_address("::1")),
]


class TestPki:
    """Generate the run's certificates into ``directory`` (created if needed) and build TLS contexts."""

    __test__ = False  # not a pytest test class, despite its name

    # file names in the PKI folder (what a DUI configured before the run points at)
    ROOT, CLIENT, OTHER_ROOT = "racine-igc-sante-test.pem", "client-dui", "autre-racine.pem"
    SERVER, OTHER_SERVER, RSA, DH = "serveur", "serveur-autre-racine", "-rsa", "dh-ffdhe2048.pem"

    def __init__(self, directory: str | Path, reuse: bool = False):
        """``reuse``: keep the certificates already in ``directory`` when all are there and still valid for an
        hour (a DUI started before the harness was configured with them); generate them otherwise."""
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        d = self.directory
        self.root_cert, self.other_root_cert = d / self.ROOT, d / self.OTHER_ROOT
        self.server_cert, self.server_key = d / f"{self.SERVER}.pem", d / f"{self.SERVER}.key"
        self.client_cert, self.client_key = d / f"{self.CLIENT}.pem", d / f"{self.CLIENT}.key"
        self.other_server_cert, self.other_server_key = d / f"{self.OTHER_SERVER}.pem", d / f"{self.OTHER_SERVER}.key"
        self.dh_params = d / self.DH
        if reuse and self._reusable():
            return
        root, other = _root(ROOT_NAME), _root(OTHER_ROOT_NAME)
        self._write_cert(self.ROOT, root)
        self._write_cert(self.OTHER_ROOT, other)
        self._write_pair(self.CLIENT, _leaf(root, CLIENT_NAME, ExtendedKeyUsageOID.CLIENT_AUTH))
        for stem, issuer in ((self.SERVER, root), (self.OTHER_SERVER, other)):
            for with_rsa in (False, True):
                server = _leaf(
                    issuer, "services-simules.localhost", ExtendedKeyUsageOID.SERVER_AUTH, _LOOPBACK_SANS, with_rsa
                )
                self._write_pair(stem + (self.RSA if with_rsa else ""), server)
        write_atomically(self.dh_params, FFDHE2048)

    def server_chains(self, untrusted: bool = False, with_rsa: bool = False) -> list[tuple[Path, Path]]:
        """The (certificate, key) files a service serves: the EC pair of our root (or of another root), and with
        ``with_rsa`` the RSA pair of the same root beside it (OpenSSL serves one certificate per key type)."""
        stem = self.OTHER_SERVER if untrusted else self.SERVER
        stems = (stem, stem + self.RSA) if with_rsa else (stem,)
        return [(self.directory / f"{s}.pem", self.directory / f"{s}.key") for s in stems]

    def _reusable(self) -> bool:
        chains = [*self.server_chains(with_rsa=True), *self.server_chains(untrusted=True, with_rsa=True)]
        certs = (self.root_cert, self.other_root_cert, self.client_cert, *(cert for cert, _ in chains))
        keys = (self.client_key, *(key for _, key in chains))
        if not all(p.is_file() for p in (*certs, *keys, self.dh_params)):
            return False
        soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        try:
            loaded = [x509.load_pem_x509_certificate(p.read_bytes()) for p in certs]
        except ValueError:
            return False
        return all(c.not_valid_after_utc > soon for c in loaded)

    @classmethod
    def files_in(cls, directory: str | Path) -> dict[str, str]:
        """:meth:`files` of the PKI in ``directory`` without generating anything (a DUI's own process)."""
        d = Path(directory)
        return {
            "racine": str(d / cls.ROOT),
            "certificat_client": str(d / f"{cls.CLIENT}.pem"),
            "cle_client": str(d / f"{cls.CLIENT}.key"),
        }

    def _write_cert(self, filename: str, issued: _Issued) -> Path:
        return write_atomically(self.directory / filename, issued.cert.public_bytes(serialization.Encoding.PEM))

    def _write_pair(self, stem: str, issued: _Issued) -> tuple[Path, Path]:
        key = write_atomically(
            self.directory / f"{stem}.key",
            issued.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
            mode=0o600,
        )
        return self._write_cert(f"{stem}.pem", issued), key

    def server_context(
        self, untrusted: bool = False, client_certificate_required: bool = False, rsa_suites: Sequence[str] = ()
    ) -> ssl.SSLContext:
        """Context for a mock: our server certificate (or one from another root), client certificate asked for,
        or required as the production service requires it (``mtls = "exige"``, docs/tls.md). ``rsa_suites``: the
        RSA certificate too, with these suites added to the policy (:func:`server_ciphers`) and the DH group."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED  # permissive: weak versions are recorded
        ctx.set_ciphers(server_ciphers(rsa_suites))
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
        for cert, key in self.server_chains(untrusted, with_rsa=bool(rsa_suites)):
            ctx.load_cert_chain(cert, key)
        if rsa_suites:
            ctx.load_dh_params(str(self.dh_params))
        ctx.load_verify_locations(self.root_cert)
        ctx.verify_mode = ssl.CERT_REQUIRED if client_certificate_required else ssl.CERT_OPTIONAL
        return ctx

    def client_context(self, with_certificate: bool = True) -> ssl.SSLContext:
        """Context for a well-behaved client (tests, reference DUI): trusts our root only, TLS ≥ 1.2."""
        ctx = ssl.create_default_context(cafile=str(self.root_cert))
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if with_certificate:
            ctx.load_cert_chain(self.client_cert, self.client_key)
        return ctx

    def files(self) -> dict[str, str]:
        """What the DUI configuration needs, by name, for ``services-simules.json``."""
        return self.files_in(self.directory)


def transport_facts(environ: dict) -> dict[str, str | None]:
    """TLS version, cipher suite and client-certificate subject of one WSGI request (no TLS: scheme http)."""
    sock = environ.get("werkzeug.socket")
    if not isinstance(sock, ssl.SSLSocket):
        return {"scheme": "http", "tls_version": None, "client_subject": None}
    pem = environ.get("SSL_CLIENT_CERT")
    subject = x509.load_pem_x509_certificate(pem.encode()).subject.rfc4514_string() if pem else None
    cipher = sock.cipher()
    return {
        "scheme": "https",
        "tls_version": sock.version(),
        "client_subject": subject,
        "cipher": cipher[0] if cipher else None,
    }
