"""IMAP retrieval of the MSSanté mock: Twisted's ``twisted.mail.imap4`` server, IMAPS and STARTTLS.

Twisted's reactor runs once per process, in a daemon thread started on first use; each mock
listens and stops listening through it. Mailboxes are views on the mock's :class:`MailStore`
(INBOX only holds mail; other folders a client creates stay empty and in memory).
"""

from __future__ import annotations

import email
import email.utils
import io
import logging
import threading
from collections.abc import Sequence
from email import policy
from pathlib import Path
from typing import TYPE_CHECKING

from OpenSSL import SSL
from twisted.cred import checkers, credentials, error, portal
from twisted.internet import defer, interfaces, protocol
from twisted.internet import ssl as tssl
from twisted.internet.threads import blockingCallFromThread
from twisted.mail import imap4
from twisted.mail.interfaces import IChallengeResponse, IMessageIMAPFile
from zope.interface import Interface, implementer  # type: ignore[import-untyped]  # ships no type information

from dui_conformance.exchanges import Exchange

from .auth import parse_oauthbearer, parse_xoauth2

if TYPE_CHECKING:
    from .service import MssMock

_reactor_lock = threading.Lock()
_reactor_thread: threading.Thread | None = None
_log = logging.getLogger(__name__)
_SERVER_ERROR = b"Server error: "


def reactor():
    """The Twisted reactor, running in its daemon thread."""
    global _reactor_thread
    from twisted.internet import reactor as twisted_reactor

    with _reactor_lock:
        if _reactor_thread is None:
            _reactor_thread = threading.Thread(
                target=twisted_reactor.run, kwargs={"installSignalHandlers": False}, name="twisted-reactor", daemon=True
            )
            _reactor_thread.start()
    return twisted_reactor


class TlsContextFactory(tssl.ContextFactory):
    """pyOpenSSL context from the test PKI files; a client certificate is asked for, not required. ``chains``: the
    (certificate, key) files served, one per key type; ``dh_params``: the DH group of the DHE suites. A context once
    used cannot change: :meth:`narrow` serves new connections from another one, :meth:`restore` from this one again."""

    def __init__(self, chains: Sequence[tuple[Path, Path]], root: Path, ciphers: str, dh_params: Path | None = None):
        self._chains, self._root, self._dh_params = chains, root, dh_params
        self._own = self._ctx = self._build(ciphers)

    def _build(self, ciphers: str, maximum: int = 0) -> SSL.Context:
        ctx = SSL.Context(SSL.TLS_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_VERSION)  # like the HTTPS and SMTP services: weak versions are recorded
        ctx.set_max_proto_version(maximum)  # 0: the highest version OpenSSL supports
        ctx.set_cipher_list(ciphers.encode())
        ctx.set_options(SSL.OP_CIPHER_SERVER_PREFERENCE)
        for cert, key in self._chains:  # OpenSSL keeps one certificate per key type
            ctx.use_certificate_chain_file(str(cert))
            ctx.use_privatekey_file(str(key))
        if self._dh_params is not None:
            ctx.load_tmp_dh(str(self._dh_params))
        ctx.load_verify_locations(str(self._root))
        ctx.set_verify(SSL.VERIFY_PEER, lambda conn, x509, errno, depth, ok: bool(ok))
        ctx.set_session_id(b"dui-conformance-imap")
        return ctx

    def getContext(self):
        return self._ctx

    def narrow(self, suite: str) -> None:
        """New connections: TLS 1.2 with ``suite`` alone (:meth:`~.service.MssMock.only_suite`)."""
        self._ctx = self._build(suite, SSL.TLS1_2_VERSION)

    def restore(self) -> None:
        self._ctx = self._own


def tls_facts(transport, scheme: str) -> dict:
    """TLS version and client-certificate subject of one IMAP connection."""
    if interfaces.ISSLTransport(transport, None) is None:
        return {"scheme": scheme, "tls_version": None, "client_subject": None}
    handle = transport.getHandle()
    version = handle.get_protocol_version_name() if hasattr(handle, "get_protocol_version_name") else None
    peer = transport.getPeerCertificate()
    subject = peer.to_cryptography().subject.rfc4514_string() if peer is not None else None
    return {
        "scheme": scheme if scheme == "imaps" else scheme + "+starttls",
        "tls_version": version,
        "client_subject": subject,
        "cipher": handle.get_cipher_name(),
    }


class IBearer(Interface):
    """Credentials carrying a mailbox and a bearer token (SASL XOAUTH2 / OAUTHBEARER)."""


class ICertificate(Interface):
    """Credentials proven by the TLS client certificate (SASL EXTERNAL)."""


@implementer(IChallengeResponse, IBearer)
class _Bearer:
    parse = staticmethod(parse_xoauth2)
    mechanism = "XOAUTH2"

    def __init__(self):
        self.username, self.token = b"", ""

    def getChallenge(self):
        return b""

    def setResponse(self, response):
        parsed = self.parse(response)
        if parsed is None:
            raise imap4.IllegalClientResponse("Réponse SASL sans jeton Bearer")
        self.username, self.token = parsed[0].encode(), parsed[1]

    def moreChallenges(self):
        return False


class _OAuthBearer(_Bearer):
    parse = staticmethod(parse_oauthbearer)
    mechanism = "OAUTHBEARER"


@implementer(IChallengeResponse, ICertificate)
class _External:
    mechanism = "EXTERNAL"

    def __init__(self, server: MssImapServer):
        self.server = server
        self.username = b""

    def getChallenge(self):
        return b""

    def setResponse(self, response):
        self.username = response.strip()

    def moreChallenges(self):
        return False


@implementer(checkers.ICredentialsChecker)
class _Checker:
    credentialInterfaces = (credentials.IUsernamePassword, IBearer, ICertificate)

    def __init__(self, server: MssImapServer):
        self.server = server

    def requestAvatarId(self, creds):
        login = creds.username.decode("utf-8", "replace").lower()
        if IBearer.providedBy(creds):
            mechanism, secret = creds.mechanism, creds.token
        elif ICertificate.providedBy(creds):
            mechanism, secret = "EXTERNAL", ""
        else:  # AUTHENTICATE PLAIN or LOGIN, or the LOGIN command
            mechanism = "PLAIN" if isinstance(creds, imap4.PLAINCredentials) else "LOGIN"
            secret = creds.password.decode("utf-8", "replace")
        ok = self.server.login(mechanism, login, secret)
        return defer.succeed(login) if ok else defer.fail(error.UnauthorizedLogin())


@implementer(imap4.IMessage, IMessageIMAPFile)
class _Message:
    """IMessage over stored bytes (or one MIME part of them); ``open()`` serves the exact stored bytes."""

    def __init__(
        self,
        part: email.message.Message,
        uid: int = 0,
        flags: set[str] | None = None,
        date: str = "",
        raw: bytes | None = None,
    ):
        self.part, self.uid, self.flags, self.date, self.raw = (
            part,
            uid,
            flags if flags is not None else set(),
            date,
            raw,
        )

    def _raw(self) -> bytes:
        return self.raw if self.raw is not None else self.part.as_bytes(policy=policy.compat32)

    def open(self):
        return io.BytesIO(self._raw())

    def getHeaders(self, negate, *names):
        wanted = {(n.decode("ascii", "replace") if isinstance(n, bytes) else n).lower() for n in names}
        # Twisted looks headers up in lower case (content-type for multipart bodies).
        return {k.lower(): v for k, v in self.part.items() if not names or ((k.lower() in wanted) != negate)}

    def getBodyFile(self):
        raw = self._raw()
        for separator in (b"\r\n\r\n", b"\n\n"):
            if separator in raw:
                return io.BytesIO(raw.split(separator, 1)[1])
        return io.BytesIO(b"")

    def getSize(self):
        return len(self._raw())

    def isMultipart(self):
        return self.part.is_multipart()

    def getSubPart(self, part):
        return _Message(self.part.get_payload(part))

    def getUID(self):
        return self.uid

    def getFlags(self):
        return sorted(self.flags)

    def getInternalDate(self):
        return self.date


@implementer(imap4.IMailbox)
class _StoreMailbox:
    """INBOX of one address, read from the store; flags are kept on the stored messages."""

    def __init__(self, mock: MssMock, address: str, stored: bool = True):
        self.mock, self.address, self.stored = mock, address, stored
        self.listeners: list[imap4.IMailboxListener] = []

    def _messages(self):
        return self.mock.store.messages(self.address) if self.stored else []

    def getFlags(self):
        return ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]

    def getHierarchicalDelimiter(self):
        return "/"

    def getUIDValidity(self):
        return 1

    def getUIDNext(self):
        return self.mock.store.next_uid(self.address) if self.stored else 1

    def getUID(self, message):
        messages = self._messages()
        return messages[message - 1].uid if 0 < message <= len(messages) else None

    def getMessageCount(self):
        return len(self._messages())

    def getRecentCount(self):
        return 0

    def getUnseenCount(self):
        return sum(1 for m in self._messages() if "\\Seen" not in m.flags)

    def isWriteable(self):
        return True

    def destroy(self):
        pass

    def requestStatus(self, names):
        return imap4.statusRequestHelper(self, names)

    def addListener(self, listener):
        self.listeners.append(listener)

    def removeListener(self, listener):
        self.listeners.remove(listener)

    def addMessage(self, message, flags=(), date=None):
        data = message.read() if hasattr(message, "read") else message
        self.mock.store.deliver(self.address, data if isinstance(data, bytes) else str(data).encode())
        return defer.succeed(None)

    def expunge(self):
        return self.mock.store.expunge(self.address) if self.stored else []

    def _select(self, messages, uid):
        stored = self._messages()
        if not stored:
            return []
        if uid:
            messages.last = stored[-1].uid
            wanted = set(messages)
            return [(i, m) for i, m in enumerate(stored, 1) if m.uid in wanted]
        messages.last = len(stored)
        return [(i, stored[i - 1]) for i in messages if 0 < i <= len(stored)]

    def fetch(self, messages, uid):
        return [
            (
                sequence,
                _Message(
                    email.message_from_bytes(stored.data, policy=policy.compat32),
                    stored.uid,
                    stored.flags,
                    email.utils.formatdate(stored.received, localtime=True),
                    stored.data,
                ),
            )
            for sequence, stored in self._select(messages, uid)
        ]

    def store(self, messages, flags, mode, uid):
        out = {}
        for sequence, stored in self._select(messages, uid):
            if mode == 0:
                stored.flags.clear()
            (stored.flags.difference_update if mode == -1 else stored.flags.update)(flags)
            out[sequence] = sorted(stored.flags)
        return out


class _Account(imap4.MemoryAccount):
    def __init__(self, mock: MssMock, address: str):
        self.mock, self.address = mock, address
        super().__init__(address)
        self.addMailbox("INBOX", _StoreMailbox(mock, address))

    def _emptyMailbox(self, name, id):
        return _StoreMailbox(self.mock, self.address, stored=False)


@implementer(portal.IRealm)
class _Realm:
    def __init__(self, mock: MssMock):
        self.mock = mock

    def requestAvatar(self, avatar_id, mind, *interfaces_):
        if imap4.IAccount not in interfaces_:
            raise NotImplementedError("IMAP seulement")
        return imap4.IAccount, _Account(self.mock, avatar_id), lambda: None


class MssImapServer(imap4.IMAP4Server):
    """One IMAP connection; records each authentication with its transport facts, and the end of its session."""

    def __init__(self, mock: MssMock, scheme: str, ctx):
        super().__init__(contextFactory=ctx)
        self.mock, self.scheme = mock, scheme
        self.session_login: Exchange | None = None
        # Twisted types IMAP4Server.portal as None, and mypy cannot see zope @implementer declarations.
        self.portal = portal.Portal(_Realm(mock), [_Checker(self)])  # type: ignore[assignment, arg-type, list-item]

    def connectionMade(self):
        super().connectionMade()
        self.challengers = {
            b"PLAIN": imap4.PLAINCredentials,
            b"LOGIN": imap4.LOGINCredentials,
            b"XOAUTH2": _Bearer,
            b"OAUTHBEARER": _OAuthBearer,
            b"EXTERNAL": lambda: _External(self),
        }

    def dispatchCommand(self, tag, cmd, rest, uid=None):
        """A command sent without its arguments (``a1 SELECT``) is a syntax error, not a server error:
        Twisted's argument parsers expect a string."""
        return super().dispatchCommand(tag, cmd, b"" if rest is None else rest, uid)

    def sendBadResponse(self, tag=None, message=b""):
        """Twisted answers an unexpected exception with its text: keep it in the log, never on the wire."""
        if message.startswith(_SERVER_ERROR):
            _log.warning("IMAP : erreur interne sur la commande %r : %s", tag, message[len(_SERVER_ERROR) :])
            message = _SERVER_ERROR.rstrip(b": ")
        super().sendBadResponse(tag, message)

    def login(self, mechanism: str, login: str, secret: str) -> bool:
        """Decide and record one authentication; an accepted one is this connection's session."""
        transport = tls_facts(self.transport, self.scheme)
        accepted, data = self.mock.authenticate(mechanism, login, secret, transport["client_subject"])
        exchange = self.mock.record_login("IMAP", transport, data, accepted)
        if accepted:
            self.session_login = exchange
        return accepted

    def connectionLost(self, reason):
        """An authenticated connection that closes (LOGOUT or dropped) ends its session: recorded."""
        if self.session_login is not None:
            self.mock.record_end("IMAP", self.session_login)
            self.session_login = None
        super().connectionLost(reason)


class _Factory(protocol.Factory):
    def __init__(self, mock: MssMock, scheme: str, ctx):
        self.mock, self.scheme, self.ctx = mock, scheme, ctx

    def buildProtocol(self, addr):
        server = MssImapServer(self.mock, self.scheme, self.ctx)
        server.factory = self
        return server


def listen(mock: MssMock, port: int, implicit_tls: bool, ctx: TlsContextFactory):
    """Start one IMAP listener (IMAPS, or plain with STARTTLS) on 127.0.0.1; returns the Twisted port."""
    r = reactor()
    factory = _Factory(mock, "imaps" if implicit_tls else "imap", ctx)
    if implicit_tls:
        return blockingCallFromThread(r, r.listenSSL, port, factory, ctx, interface="127.0.0.1")
    return blockingCallFromThread(r, r.listenTCP, port, factory, interface="127.0.0.1")


def stop(listening) -> None:
    blockingCallFromThread(reactor(), listening.stopListening)
