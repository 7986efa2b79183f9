"""The MSSanté operator mock: SMTP submission and IMAP retrieval over TLS, scripted mailboxes,
the Mon espace santé first-contact rule, and a small Annuaire Santé (facts §4, §7.7).

Every message and every authentication is an :class:`~dui_conformance.exchanges.Exchange` of
service ``mss`` (transport: TLS version, client-certificate subject; envelope, authenticated
mailbox, the message's bytes); the library judges them (``dui_conformance.mss.submission``:
the offline MSSanté checks on each message, MSS-xx, DMP-5x…; ``live.transport``: TLS).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message

from dui_conformance.exchanges import Exchange, ExchangeRecorder, HttpRequest, HttpResponse, now_iso
from dui_conformance.live.mss_auth import api_lps
from dui_conformance.mss.vague2 import DSN_REQUEST

from ..common import TestPki
from ..common.pki import CLIENT_NAME, server_ciphers
from . import imap, smtp
from . import mailboxes as mb
from .auth import BEARER_MECHANISMS, Credentials, TokenReader, read_unverified, token_opens
from .directory import AnnuaireMock, Directory, is_patient
from .mdn import build_dsn, build_ko_mail, build_mdn
from .store import MailStore

DEFAULT_PASSWORD = "mot-de-passe-de-test"
PORT_NAMES = ("smtps", "smtp", "imaps", "imap", "annuaire")


class MssMock:
    """``with MssMock(TestPki(tmp)) as mss:`` — ``mss.urls`` gives smtps://, smtp:// (STARTTLS),
    imaps://, imap:// (STARTTLS) and the directory's https:// base.

    ``users``: mailbox → password (default: every directory mailbox, :data:`DEFAULT_PASSWORD`);
    ``token_reader``: what a bearer token is worth (default: any non-empty one; the live environment plugs the Pro
    Santé Connect mock, :func:`~.auth.psc_reader`);
    ``patient_may_write_to``: professionals a patient may write to first (one source reports the
    patient's pharmacy as an exception; default: none); ``untrusted``: serve the certificate
    from another root (the DUI must refuse it).
    """

    service = "mss"

    def __init__(
        self,
        pki: TestPki,
        ports: dict[str, int] | None = None,
        users: dict[str, str] | None = None,
        token_reader: TokenReader = read_unverified,
        patient_may_write_to: tuple[str, ...] = (),
        slow_seconds: float = 3.0,
        untrusted: bool = False,
        directory: Directory | None = None,
    ):
        self.pki, self.untrusted = pki, untrusted
        self.ports = {name: (ports or {}).get(name, 0) for name in PORT_NAMES}
        self.directory = directory or Directory.load()
        self.credentials = Credentials(
            users={
                k.lower(): v
                for k, v in (users or {b.address: DEFAULT_PASSWORD for b in self.directory.mailboxes()}).items()
            },
            token_reader=token_reader,
        )
        self.patient_may_write_to = {a.lower() for a in patient_may_write_to}
        self.slow_seconds = slow_seconds
        self.recorder = ExchangeRecorder(self.service)
        self.store = MailStore()
        self.conversations: set[tuple[str, str]] = set()  # (professional, patient) that a professional started
        self.annuaire = AnnuaireMock(
            self.directory,
            self.ports["annuaire"],
            ssl_context=pki.server_context(untrusted=untrusted),
            recorder=self.recorder,
        )
        self._controllers: list = []
        self._listening: list = []
        self._smtp_contexts: list[ssl.SSLContext] = []
        self._imap_tls: imap.TlsContextFactory | None = None
        self.rsa_suites = api_lps().suites  # SC.MSS/CONF.03: RSA suites, served with the RSA certificate
        self.urls: dict[str, str] = {}

    # --- rules -----------------------------------------------------------------------------

    def certificate_opens(self, subject: str, mailbox: str) -> bool:
        """The PKI's DUI certificate opens the directory's applicative (APP) mailboxes."""
        box = self.directory.mailbox(mailbox)
        return box is not None and box.type == "APP" and f"CN={CLIENT_NAME}" in subject

    def authenticate(self, mechanism: str, login: str, secret: str, client_subject: str | None) -> tuple[bool, dict]:
        """One SASL authentication, SMTP or IMAP: accepted?, and what its exchange records (mechanism, mailbox and
        its type, the token read). PLAIN on an applicative mailbox is accepted on the DUI's certificate alone
        (SC.MSS/CONF.12 names no password); a password opens any mailbox it is set for (permissive)."""
        login = login.lower()
        box = self.directory.mailbox(login)
        data: dict = {"login": login, "mechanism": mechanism, "bal_type": box.type if box else None}
        if mechanism in BEARER_MECHANISMS:
            facts = self.credentials.token_reader(secret)
            data["token"] = facts.record()
            return token_opens(self.directory, facts, box), data
        certified = client_subject is not None and self.certificate_opens(client_subject, login)
        if mechanism == "EXTERNAL":
            return certified, data
        return (certified and mechanism == "PLAIN") or self.credentials.password_ok(login, secret), data

    def record_login(self, protocol: str, transport: dict, data: dict, accepted: bool) -> Exchange:
        """The exchange of one authentication (``connexion SMTP`` / ``connexion IMAP``), accepted or refused."""
        exchange = Exchange(
            id=self.recorder.next_id(),
            service=self.service,
            started=now_iso(),
            request=HttpRequest(protocol, f"connexion {protocol}", {}, ""),
            operation=f"connexion {protocol}",
            transport=transport,
        )
        exchange.data.update(data)
        exchange.response = HttpResponse(235 if accepted else 535, {}, "OK" if accepted else "NO")
        exchange.finished = now_iso()
        self.recorder.add(exchange)
        return exchange

    def record_end(self, protocol: str, login: Exchange) -> None:
        """The client's authenticated connection ``login`` has closed (``fin de session``, SC.MSS/CONF.10 judges
        it): same transport, the login it ends in ``data["session_of"]``."""
        exchange = Exchange(
            id=self.recorder.next_id(),
            service=self.service,
            started=now_iso(),
            request=HttpRequest(protocol, f"fin de session {protocol}", {}, ""),
            operation=f"fin de session {protocol}",
            transport=dict(login.transport),
        )
        exchange.data.update({"login": login.data.get("login"), "session_of": login.id})
        exchange.finished = now_iso()
        self.recorder.add(exchange)

    @contextmanager
    def only_suite(self, suite: str) -> Iterator[None]:
        """New SMTP and IMAP connections are offered TLS 1.2 with ``suite`` alone (an API LPS client must refuse a
        suite outside its list, SC.MSS/CONF.03), then the mock's one policy again."""
        for context in self._smtp_contexts:
            context.set_ciphers(suite)
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        if self._imap_tls is not None:
            self._imap_tls.narrow(suite)
        try:
            yield
        finally:
            for context in self._smtp_contexts:
                context.set_ciphers(server_ciphers(self.rsa_suites))
                context.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
            if self._imap_tls is not None:
                self._imap_tls.restore()

    def recipient_refusal(self, sender: str, recipient: str) -> str | None:
        """The SMTP reply refusing ``recipient``, or None to accept it."""
        sender, recipient = sender.lower(), recipient.lower()
        if not (recipient.endswith(".mssante.fr") or recipient.rpartition("@")[2] == "mssante.fr"):
            return mb.OUTSIDE_REPLY
        if self.directory.mailbox(recipient) is None and not is_patient(recipient):
            return mb.UNKNOWN_REPLY
        if (
            is_patient(sender)
            and (recipient, sender) not in self.conversations
            and recipient not in self.patient_may_write_to
        ):
            return mb.PATIENT_FIRST_REPLY
        return None

    def deliver(self, sender: str, recipient: str, data: bytes, message: Message, exchange: Exchange) -> None:
        """Store the message, then play the recipient's scripted behaviour (MDN or not)."""
        sender, recipient = sender.lower(), recipient.lower()
        behaviour = mb.behaviour_of(recipient)
        exchange.data.setdefault("behaviours", {})[recipient] = behaviour
        if behaviour == mb.UNDELIVERED:  # a failure always goes back to the envelope sender (RFC 3461 §4.1)
            self.store.deliver(sender, build_dsn(message, recipient, sender, mb.UNDELIVERED_REASON))
            exchange.data.setdefault("dsn", []).append(
                {"to": sender, "action": "failed", "status": mb.UNDELIVERED_REASON[0]}
            )
            return
        self.store.deliver(recipient, data)
        for address in _addresses(smtp.header_value(message, DSN_REQUEST) or ""):  # delivery receipt asked for
            self.store.deliver(address, build_dsn(message, recipient, address))
            exchange.data.setdefault("dsn", []).append({"to": address, "action": "delivered", "status": "2.0.0"})
        if is_patient(recipient) and not is_patient(sender):
            self.conversations.add((sender, recipient))
        wanted = smtp.header_value(message, "Disposition-Notification-To")
        if behaviour not in (mb.ACCEPT_MDN, mb.ERROR_MDN):
            return
        error = mb.INTEGRATION_ERROR if behaviour == mb.ERROR_MDN else None
        if not wanted:  # no acknowledgement asked for (MSS-20 judges it)
            if error:  # the failure still goes back, as a plain [KO Intégration système !] mail
                self.store.deliver(sender, build_ko_mail(message, recipient, error))
            return
        mdn = build_mdn(message, recipient, error)
        for address in _addresses(wanted):
            self.store.deliver(address, mdn)
        exchange.data.setdefault("mdn", []).append({"from": recipient, "error": list(error) if error else None})

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> dict[str, str]:
        for name, implicit in (("smtps", True), ("smtp", False)):
            context = self.pki.server_context(untrusted=self.untrusted, rsa_suites=self.rsa_suites)
            self._smtp_contexts.append(context)
            controller = smtp.controller(self, self.ports[name], implicit, context)
            controller.start()
            self._controllers.append(controller)
            self.urls[name] = f"{name}://127.0.0.1:{controller.port}"
        ctx = self._imap_tls = imap.TlsContextFactory(
            self.pki.server_chains(self.untrusted, with_rsa=True),
            self.pki.root_cert,
            server_ciphers(self.rsa_suites),
            self.pki.dh_params,
        )
        for name, implicit in (("imaps", True), ("imap", False)):
            listening = imap.listen(self, self.ports[name], implicit, ctx)
            self._listening.append(listening)
            self.urls[name] = f"{name}://127.0.0.1:{listening.getHost().port}"
        self.annuaire.start()
        self.urls["annuaire"] = self.annuaire.url
        return self.urls

    def stop(self) -> None:
        for controller in self._controllers:
            controller.stop()
        for listening in self._listening:
            imap.stop(listening)
        self._controllers, self._listening, self._smtp_contexts = [], [], []
        self.annuaire.stop()

    def reset(self) -> None:
        """Fresh mailboxes and conversations between scenarios; exchanges stay (they are evidence)."""
        self.store.clear()
        self.conversations.clear()
        self.annuaire.reset()

    @property
    def url(self) -> str:
        """Submission endpoint (SMTPS), for the live environment's list of services."""
        return self.urls["smtps"]

    @property
    def base_url(self) -> str:
        """Where ``/_harness/exchanges`` lists every exchange of this mock (served by the directory)."""
        return self.annuaire.base_url

    def exchanges(self, since: int = 0) -> list[Exchange]:
        return self.recorder.exchanges(since)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _addresses(value: str) -> list[str]:
    from email.utils import getaddresses

    return [a for _, a in getaddresses([value]) if "@" in a]
