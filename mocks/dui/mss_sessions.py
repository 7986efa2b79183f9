"""The reference DUI's mail-client sessions (vague 2 API LPS): an IMAP and an SMTP session per mailbox, kept open as a
mail client keeps them, until the Pro Santé Connect session that opened them ends.

A professional's mailbox (personal or organisational) opens with SASL XOAUTH2 and the access token of the
professional logged in through PSC (SC.MSS/CONF.07); the DUI's applicative mailbox with its certificate and PLAIN
(SC.MSS/CONF.12). When the PSC session ends (its refresh token refused at revalidation, or a logout), the sessions it
opened are closed and its tokens never presented again (SC.MSS/CONF.10). The ``mss-*`` defects of
:data:`~.defects.DEFECTS` switch each of these off.
"""

from __future__ import annotations

import imaplib
import smtplib
import threading
from dataclasses import dataclass

from werkzeug.wrappers import Response

from .mss import MAILBOX, MssClient, MssUnavailable
from .psc import PscRelyingParty
from .web import json_response, problem, text_field


@dataclass
class _Held:
    imap: imaplib.IMAP4
    smtp: smtplib.SMTP
    psc_session: str | None  # the PSC session whose token opened them (None: the applicative mailbox)
    token: str | None

    def close(self) -> None:
        """LOGOUT and QUIT; a connection the operator already dropped is closed all the same."""
        for end in (self.imap.logout, self.smtp.quit):
            try:
                end()
            except (OSError, imaplib.IMAP4.error, smtplib.SMTPException):
                pass
        self.smtp.close()


class MailboxSessions:
    """``POST /mssante/sessions``: open (again) a mailbox's sessions; :meth:`end_dead` after each PSC revalidation
    or logout."""

    def __init__(self, client: MssClient | None, psc: PscRelyingParty | None, defects: frozenset[str]):
        self.client, self.psc, self.defects = client, psc, defects
        self._held: dict[str, _Held] = {}
        self._first_tokens: dict[str, str] = {}  # PSC session id -> its first access token (a defect reuses it)
        self._lock = threading.Lock()

    def _credentials(self, client: MssClient, mailbox: str) -> tuple[str, str, str | None, str | None] | Response:
        """(mechanism, secret, PSC session id, token) for ``mailbox``, or the problem answering why there are none."""
        if mailbox == MAILBOX:
            return "PLAIN", client.password, None, None
        sessions = list(self.psc.sessions.values()) if self.psc is not None else []
        if not sessions:
            with self._lock:
                held = self._held.get(mailbox)
            if held is not None and held.token and "mss-session-apres-fin-psc" in self.defects:
                return "XOAUTH2", held.token, held.psc_session, held.token  # defect: the dead session's token
            return problem(
                401,
                "Aucun professionnel connecté",
                f"La BAL {mailbox} ne s'ouvre qu'avec le jeton d'accès Pro Santé Connect d'un professionnel connecté.",
                service="MSS",
            )
        session = sessions[-1]
        with self._lock:
            first = self._first_tokens.setdefault(session.id, session.access_token)
        token = first if "mss-xoauth2-jeton-expire" in self.defects else session.access_token
        if "mss-authentification-mot-de-passe" in self.defects:  # defect: the mailbox's password, no PSC token
            return "PLAIN", client.password, session.id, None
        return "XOAUTH2", token, session.id, token

    def open(self, body: dict) -> Response:
        if self.client is None:
            return problem(503, "MSSanté non configurée", "Le DUI n'a pas de messagerie MSSanté.")
        mailbox = text_field(body, "bal").lower()
        credentials = self._credentials(self.client, mailbox)
        if isinstance(credentials, Response):
            return credentials
        mechanism, secret, psc_session, token = credentials
        if "mss-session-apres-fin-psc" not in self.defects:
            self._close(mailbox)
        try:
            imap = self.client.imap_session(mailbox, mechanism, secret)
            try:
                smtp = self.client.smtp_session(mailbox, mechanism, secret)
            except MssUnavailable:
                imap.logout()
                raise
        except MssUnavailable as exc:
            return problem(502, "Erreur MSSanté", str(exc), service="MSS")
        with self._lock:
            self._held[mailbox] = _Held(imap, smtp, psc_session, token)
        return json_response({"bal": mailbox, "sessions": ["IMAP", "SMTP"]})

    def _close(self, mailbox: str) -> None:
        with self._lock:
            held = self._held.pop(mailbox, None)
        if held is not None:
            held.close()

    def end_dead(self) -> None:
        """Close the sessions opened with the token of a PSC session that has ended (SC.MSS/CONF.10)."""
        if "mss-session-apres-fin-psc" in self.defects:  # defect: the mail client never hears of it
            return
        live = set(self.psc.sessions) if self.psc is not None else set()
        with self._lock:
            dead = [
                m for m, held in self._held.items() if held.psc_session is not None and held.psc_session not in live
            ]
        for mailbox in dead:
            self._close(mailbox)

    def reset(self) -> None:
        with self._lock:
            held, self._held = list(self._held.values()), {}
            self._first_tokens.clear()
        for sessions in held:
            sessions.close()
