"""SMTP submission of the MSSanté mock (aiosmtpd): implicit TLS (SMTPS) and STARTTLS, with AUTH.

Permissive like every mock: a client that authenticates in clear text or sends a message the
offline checks fault is served; the exchange records the connection (TLS or not), the envelope
and the message's bytes, which the library judges (``dui_conformance.mss.submission``, GEN-10).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import socket
import warnings
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import TYPE_CHECKING

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword
from cryptography import x509

from dui_conformance.exchanges import Exchange, HttpRequest, HttpResponse, now_iso

from . import mailboxes as mb
from .auth import b64, parse_oauthbearer, parse_xoauth2
from .mdn import unfold

if TYPE_CHECKING:
    from .service import MssMock

MAX_RECORDED_BODY = 2 * 1024 * 1024
# RFC 4954 §4: an AUTH command line may be 12 288 octets long (a PSC access token in XOAUTH2 is over 1 000), where
# aiosmtpd reads lines of 1 001 at most.
AUTH_LINE_LIMIT = 12288
# aiosmtpd logs and warns about AUTH without TLS: the mock allows it on purpose and records the connection.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Login:
    login: str
    mechanism: str
    exchange: Exchange  # the recorded authentication, which the session's end refers to


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def transport_facts(transport, scheme: str) -> dict:
    """TLS version and client-certificate subject of one SMTP connection, as the mock saw it."""
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return {"scheme": scheme, "tls_version": None, "client_subject": None}
    der = ssl_object.getpeercert(binary_form=True)
    subject = x509.load_der_x509_certificate(der).subject.rfc4514_string() if der else None
    cipher = ssl_object.cipher()
    return {
        "scheme": scheme + ("" if scheme == "smtps" else "+starttls"),
        "tls_version": ssl_object.version(),
        "client_subject": subject,
        "cipher": cipher[0] if cipher else None,
    }


class SmtpHandler:
    """aiosmtpd hooks: AUTH mechanisms beyond PLAIN/LOGIN, recipient rules, delivery and behaviours."""

    def __init__(self, mock: MssMock, scheme: str):
        self.mock = mock
        self.scheme = scheme

    # --- authentication ------------------------------------------------------------------

    def _login(self, server, mechanism: str, login: str, secret: str, refusal: str | None = None) -> AuthResult:
        """Decide and record one authentication (``refusal``: the 535 text, default aiosmtpd's)."""
        transport = transport_facts(server.transport, self.scheme)
        accepted, data = self.mock.authenticate(mechanism, login, secret, transport["client_subject"])
        exchange = self.mock.record_login("SMTP", transport, data, accepted)
        if accepted:
            return AuthResult(success=True, auth_data=Login(login.lower(), mechanism, exchange))
        return AuthResult(success=False, handled=False, message=refusal)

    def password(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        decoded = (auth_data.login.decode("utf-8", "replace"), auth_data.password.decode("utf-8", "replace"))
        return self._login(server, mechanism, *decoded)

    async def _initial(self, server, args) -> bytes | None:
        if len(args) > 1:
            return b64(args[1]) if args[1] != "=" else b""
        raw = await server.challenge_auth("")
        return None if raw is MISSING else raw

    async def _bearer(self, server, args, parse, mechanism: str) -> AuthResult:
        raw = await self._initial(server, args)
        login, token = (parse(raw) if raw is not None else None) or ("", "")
        return self._login(server, mechanism, login, token, "535 5.7.8 Jeton d'accès refusé")

    async def auth_XOAUTH2(self, server, args) -> AuthResult:
        return await self._bearer(server, args, parse_xoauth2, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server, args) -> AuthResult:
        return await self._bearer(server, args, parse_oauthbearer, "OAUTHBEARER")

    async def auth_EXTERNAL(self, server, args) -> AuthResult:
        """Client certificate (BAL applicative): the authorisation identity names the APP mailbox."""
        raw = await self._initial(server, args)
        mailbox = (raw or b"").decode("utf-8", "replace").strip()
        return self._login(
            server, "EXTERNAL", mailbox, "", "535 5.7.8 Certificat absent ou non autorisé pour cette BAL"
        )

    def ended(self, login: Login) -> None:
        """The client's authenticated connection has closed."""
        self.mock.record_end("SMTP", login.exchange)

    # --- envelope ------------------------------------------------------------------------

    def _exchange(self, server, session, envelope, operation: str) -> Exchange:
        login = getattr(session.auth_data, "login", None)
        exchange = Exchange(
            id=self.mock.recorder.next_id(),
            service=self.mock.service,
            started=now_iso(),
            request=HttpRequest("SMTP", operation, {}, ""),
            operation=operation,
            transport=transport_facts(server.transport, self.scheme),
        )
        exchange.data.update(
            {
                "mail_from": envelope.mail_from,
                "rcpt_to": list(envelope.rcpt_tos),
                "login": login,
                "mechanism": getattr(session.auth_data, "mechanism", None),
            }
        )
        return exchange

    def _finish(self, exchange: Exchange, reply: str) -> str:
        exchange.response = HttpResponse(int(reply[:3]), {}, reply)
        exchange.finished = now_iso()
        self.mock.recorder.add(exchange)
        return reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        reply = self.mock.recipient_refusal(envelope.mail_from or "", address)
        if reply:
            exchange = self._exchange(server, session, envelope, "refus destinataire")
            exchange.data["refused"] = address
            return self._finish(exchange, reply)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Destinataire accepté"

    async def handle_DATA(self, server, session, envelope) -> str:
        data = envelope.original_content or envelope.content or b""
        exchange = self._exchange(server, session, envelope, "envoi")
        # Reading a message is plain CPU work that a hostile one stretches to seconds: off the event loop,
        # which serves every other SMTP session of the mock meanwhile.
        message = await asyncio.to_thread(_record_message, exchange, data)
        behaviours = {mb.behaviour_of(r) for r in envelope.rcpt_tos}
        if mb.SMTP_REJECT in behaviours:
            return self._finish(exchange, mb.REJECT_REPLY)
        if mb.SLOW in behaviours:
            await asyncio.sleep(self.mock.slow_seconds)
        sender = envelope.mail_from or ""
        for recipient in envelope.rcpt_tos:
            await asyncio.to_thread(self.mock.deliver, sender, recipient, data, message, exchange)
        return self._finish(exchange, f"250 2.0.0 Message accepté ({exchange.id})")


def _record_message(exchange: Exchange, data: bytes) -> Message:
    """Parse the message and record it with its headers as sent (raw values, unfolded): ``compat32`` reads
    headers as text, where the default policy parses each structured one (a Content-Type of 40 000
    parameters: 96 s); the library's checks judge the recorded bytes with their own bounded parser."""
    message = BytesParser(policy=policy.compat32).parsebytes(data)
    headers = {name: unfold(str(value)) for name, value in message.items()}
    exchange.request = HttpRequest.received("SMTP", "DATA", headers, data, MAX_RECORDED_BODY)
    exchange.data["message_id"] = header_value(message, "Message-ID")
    return message


def header_value(message, name: str) -> str | None:
    """One header's value, or None when absent or unreadable: a hostile header must not stop the mock."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001
        return None
    return None if value is None else str(value)


class _Smtp(SMTP):
    """aiosmtpd's server, telling the handler when an authenticated connection closes (QUIT or dropped), and reading
    AUTH lines (and the answers to its challenges) up to :data:`AUTH_LINE_LIMIT`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # aiosmtpd's command limits are class-wide: this connection's own
        self.command_size_limits = collections.defaultdict(lambda: self.command_size_limit, AUTH=AUTH_LINE_LIMIT)

    def _cb_client_connected(self, reader, writer) -> None:
        super()._cb_client_connected(reader, writer)
        reader._limit = AUTH_LINE_LIMIT  # asyncio.StreamReader's line bound, private (DATA lines keep aiosmtpd's)

    def connection_lost(self, error) -> None:
        login = getattr(self.session, "auth_data", None) if self.session is not None else None
        if isinstance(login, Login):
            self.event_handler.ended(login)
        super().connection_lost(error)


class _Controller(Controller):
    def factory(self):
        """aiosmtpd warns about AUTH without TLS on every connection: the mock allows it on purpose."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return _Smtp(self.handler, **self.SMTP_kwargs)


def controller(mock: MssMock, port: int, implicit_tls: bool, context) -> Controller:
    """One aiosmtpd server: implicit TLS (SMTPS) or plain with STARTTLS offered, AUTH required; ``context``: its
    server TLS context (the mock narrows it for one scenario, :meth:`~.service.MssMock.only_suite`)."""
    handler = SmtpHandler(mock, "smtps" if implicit_tls else "smtp")
    options = {"ssl_context": context} if implicit_tls else {"tls_context": context, "require_starttls": False}
    return _Controller(
        handler,
        hostname="127.0.0.1",
        port=port or free_port(),
        server_hostname="mss.localhost",
        authenticator=handler.password,
        auth_required=True,
        auth_require_tls=False,
        **options,
    )
