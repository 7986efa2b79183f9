"""Live MSSanté vague 2 checks (MSS-24…27): how the DUI authenticates to the operator's API LPS and over which TLS,
judged on the authentications the operator mock recorded (``connexion SMTP`` / ``connexion IMAP`` exchanges: mechanism,
mailbox and its type, the bearer token as the operator read it, TLS version, suite and client certificate) and on the
ends of sessions it saw (``fin de session …``, ``data["session_of"]``: the login it ends).

What the API LPS demands (suites, mechanisms per mailbox type) is data, with its source: ``api_lps.toml``.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..decides import decides
from ..deviations import deviation
from ..exchanges import Exchange
from ..model import Finding, Location, failed, passed, skipped
from ..psc.checks import born
from ..psc.exchanges import TOKEN
from ..psc.oauth import form_params
from ..wording import found, listed

API_LPS_FILE = Path(__file__).with_name("api_lps.toml")
PROTOCOLS = ("SMTP", "IMAP")
LOGIN_PREFIX, END_PREFIX = "connexion ", "fin de session "

# What the operator mock records of a bearer token (``data["token"]["statut"]``) and which claims it keeps.
TOKEN_VALID = "valide"
TOKEN_EXPIRED = "expire"
TOKEN_REVOKED = "revoque"
TOKEN_UNKNOWN = "inconnu"
TOKEN_UNREADABLE = "illisible"
TOKEN_UNVERIFIED = "non-verifie"
TOKEN_FOREIGN_CLIENT = "client-non-admis"
TOKEN_CLAIMS = ("sub", "SubjectNameID", "azp", "jti", "iat", "exp")
# How long the operator may take to see a session the DUI closed (its end is recorded when the connection drops).
SESSION_END_WAIT_S = 2.0


@dataclass(frozen=True)
class ApiLps:
    """``api_lps.toml``: the TLS versions and suites, and the SASL mechanism of each mailbox type."""

    versions: tuple[str, ...]
    list_version: str
    suites: tuple[str, ...]  # OpenSSL names, SC.MSS/CONF.03
    ecdsa_equivalents: bool
    unlisted_suite: str
    mechanisms: dict[str, tuple[str, ...]]
    azp_allowed: tuple[str, ...]

    def listed(self, cipher: str | None) -> bool:
        """``cipher`` (OpenSSL name) is on the list, or its ECDSA form against the harness's EC test PKI."""
        if cipher and self.ecdsa_equivalents:
            cipher = cipher.replace("ECDHE-ECDSA-", "ECDHE-RSA-")
        return cipher in self.suites

    def client_ciphers(self) -> str:
        """The OpenSSL cipher string of a client offering the list only (with the ECDSA forms for the bench)."""
        ecdsa = [s.replace("ECDHE-RSA-", "ECDHE-ECDSA-") for s in self.suites if s.startswith("ECDHE-RSA-")]
        return ":".join((ecdsa if self.ecdsa_equivalents else []) + list(self.suites))


@cache
def api_lps() -> ApiLps:
    data = tomllib.loads(API_LPS_FILE.read_text(encoding="utf-8"))
    tls, auth, bench = data["tls"], data["authentification"], data["tls"]["banc"]
    return ApiLps(
        tuple(tls["versions"]),
        tls["version_liste"],
        tuple(s["openssl"] for s in tls["suite"]),
        bool(bench["equivalents_ecdsa"]),
        bench["suite_hors_liste"],
        {kind: tuple(auth[kind]) for kind in ("PER", "ORG", "APP")},
        tuple(auth["azp_admis"]),
    )


def is_login(exchange: Exchange) -> bool:
    return (exchange.operation or "").startswith(LOGIN_PREFIX)


def is_end(exchange: Exchange) -> bool:
    return (exchange.operation or "").startswith(END_PREFIX)


def is_session_event(exchange: Exchange) -> bool:
    """An authentication or the end of a session, not a message."""
    return is_login(exchange) or is_end(exchange)


def accepted(exchange: Exchange) -> bool:
    return exchange.response is not None and exchange.response.status == 235


def protocol(exchange: Exchange) -> str:
    return exchange.request.method


def logins(exchanges: Iterable[Exchange], mailbox: str | None = None) -> list[Exchange]:
    """The authentications recorded (to ``mailbox`` only, when given)."""
    return [e for e in exchanges if is_login(e) and (mailbox is None or e.data.get("login") == mailbox.lower())]


def token_of(exchange: Exchange) -> dict:
    return exchange.data.get("token") or {}


def _where(exchange: Exchange) -> Location:
    return Location(exchange=exchange.id)


def _sessions_opened(requirement: str, found_logins: list[Exchange], mailbox: str) -> list[Finding]:
    """A failure for each protocol with no accepted authentication to ``mailbox``."""
    missing = [p for p in PROTOCOLS if not any(protocol(e) == p and accepted(e) for e in found_logins)]
    if not missing:
        return []
    tried = ", ".join(
        f"{protocol(e)} {e.data.get('mechanism')} {'acceptée' if accepted(e) else 'refusée'}" for e in found_logins
    )
    return [
        failed(
            requirement,
            f"Trouvé : aucune session {p} acceptée par l'opérateur pour la BAL {mailbox} "
            f"(authentifications : {tried or 'aucune'}). Attendu : une session SMTP et une session IMAP ouvertes.",
        )
        for p in missing
    ]


@decides("MSS-24")
def check_bearer_logins(exchanges: Sequence[Exchange], mailbox: str, national_id: str) -> list[Finding]:
    """MSS-24: every authentication to a personal or organisational ``mailbox`` is SASL XOAUTH2 with a Pro Santé
    Connect access token the operator holds valid, of the professional logged in (``national_id``, the token's
    SubjectNameID); the DUI opened an SMTP and an IMAP session."""
    found_logins = logins(exchanges, mailbox)
    out = _sessions_opened("MSS-24", found_logins, mailbox)
    for exchange in found_logins:
        kind, mechanism, token = exchange.data.get("bal_type"), exchange.data.get("mechanism"), token_of(exchange)
        expected = api_lps().mechanisms.get(kind or "", ())
        where = _where(exchange)
        if mechanism not in expected:
            out.append(
                deviation(
                    "MSS-XOAUTH2-MECANISME",
                    where,
                    f"{protocol(exchange)} sur la BAL {kind or 'inconnue'} {mailbox} : mécanisme {found(mechanism)}, "
                    f"attendu {listed(expected) or 'une BAL personnelle ou organisationnelle'}",
                )
            )
            continue
        if token.get("statut") != TOKEN_VALID:
            out.append(
                deviation(
                    "MSS-XOAUTH2-JETON",
                    where,
                    f"jeton {found(token.get('statut'))} ({token.get('motif') or 'sans motif'}), présenté en "
                    f"{protocol(exchange)} ; attendu un jeton d'accès PSC en cours de validité",
                )
            )
        elif token.get("SubjectNameID") != national_id:
            out.append(
                deviation(
                    "MSS-XOAUTH2-AUTRE-PROFESSIONNEL",
                    where,
                    f"jeton du professionnel {found(token.get('SubjectNameID'))}, attendu celui du professionnel "
                    f"connecté ({national_id})",
                )
            )
        else:
            out.append(
                passed(
                    "MSS-24",
                    f"Session {protocol(exchange)} de la BAL {kind} {mailbox} ouverte en {mechanism} avec le jeton "
                    f"d'accès PSC valide de {national_id}.",
                    where,
                )
            )
    return out


@decides("MSS-25")
def check_applicative_logins(exchanges: Sequence[Exchange], mailbox: str) -> list[Finding]:
    """MSS-25: every authentication to the applicative ``mailbox`` is PLAIN with the mailbox as login, inside a TLS
    session where the DUI presented its certificate; the DUI opened an SMTP and an IMAP session."""
    found_logins = logins(exchanges, mailbox)
    out = _sessions_opened("MSS-25", found_logins, mailbox)
    expected = api_lps().mechanisms["APP"]
    for exchange in found_logins:
        mechanism, subject, where = (
            exchange.data.get("mechanism"),
            exchange.transport.get("client_subject"),
            _where(exchange),
        )
        if mechanism not in expected:
            out.append(
                deviation(
                    "MSS-APP-MECANISME",
                    where,
                    f"{protocol(exchange)} : mécanisme {found(mechanism)}, attendu {listed(expected)}",
                )
            )
        if not subject:
            out.append(
                deviation(
                    "MSS-APP-SANS-CERTIFICAT",
                    where,
                    f"session {protocol(exchange)} {exchange.transport.get('scheme', '')} sans certificat client",
                )
            )
        if mechanism in expected and subject:
            out.append(
                passed(
                    "MSS-25",
                    f"Session {protocol(exchange)} de la BAL applicative {mailbox} : {mechanism}, "
                    f"certificat {subject}.",
                    where,
                )
            )
    return out


@dataclass
class RefreshDeath:
    """What the operator recorded before the professional's PSC refresh token died (``before``), from then until the
    DUI had revalidated its PSC sessions (``after_end``), and during a later attempt to open their mailbox again."""

    before: list[Exchange]
    after_end: list[Exchange]
    # the DUI's PSC sessions after the revalidation, less those it held before the login
    sessions: list[dict] = field(default_factory=list)
    reopen: list[Exchange] = field(default_factory=list)


def logged_in(sessions: Iterable[dict], national_id: str) -> bool:
    """The DUI reports a PSC session of this professional (``GET /session``): a precondition of MSS-24 and MSS-26."""
    return any(s.get("idNational") == national_id for s in sessions)


def professional_sessions(exchanges: Iterable[Exchange], national_id: str) -> list[Exchange]:
    """The sessions the operator accepted on the bearer tokens of the professional ``national_id``."""
    return [e for e in logins(exchanges) if accepted(e) and token_of(e).get("SubjectNameID") == national_id]


@decides("MSS-26")
def check_sessions_end(death: RefreshDeath, national_id: str) -> list[Finding]:
    """MSS-26: once the professional's PSC refresh token is dead, every IMAP and SMTP session opened with their tokens
    has ended by the time the DUI revalidated its PSC sessions, and no authentication since (that revalidation, a
    later attempt to open the mailbox) carries one of their tokens that Pro Santé Connect no longer holds valid."""
    before, opened = death.before, professional_sessions(death.before, national_id)
    if logged_in(death.sessions, national_id):  # PSC-23 judges a PSC session kept past its tokens, not MSS-26
        return [
            skipped(
                "MSS-26",
                f"Préalable non obtenu : le DUI garde la session PSC de {national_id} après la fin de son "
                "jeton de rafraîchissement (PSC-23 en juge).",
            )
        ]
    if not opened:
        return [
            skipped(
                "MSS-26",
                f"Préalable non obtenu : aucune session IMAP ou SMTP ouverte avec un jeton PSC de {national_id} avant "
                "la fin de son jeton de rafraîchissement.",
            )
        ]
    ended = {e.data.get("session_of") for e in [*before, *death.after_end] if is_end(e)}
    out = [
        deviation(
            "MSS-SESSION-APRES-PSC",
            _where(e),
            f"session {protocol(e)} de {e.data.get('login')} toujours ouverte après la fin du jeton de "
            "rafraîchissement PSC du professionnel",
        )
        for e in opened
        if e.id not in ended
    ]
    out += [
        deviation(
            "MSS-JETON-MORT-REUTILISE",
            _where(e),
            f"authentification {protocol(e)} de {e.data.get('login')} avec un jeton au statut "
            f"{found(token_of(e).get('statut'))} après la fin du jeton de rafraîchissement",
        )
        for e in logins([*death.after_end, *death.reopen])
        if token_of(e).get("SubjectNameID") == national_id and token_of(e).get("statut") != TOKEN_VALID
    ]
    return out or [
        passed(
            "MSS-26",
            f"{len(opened)} session(s) IMAP/SMTP de {national_id} fermée(s) à la fin du jeton de rafraîchissement "
            "PSC, sans nouvelle authentification avec ses jetons.",
        )
    ]


@decides("MSS-27")
def check_api_lps_tls(exchanges: Sequence[Exchange]) -> list[Finding]:
    """MSS-27: every authenticated connection to the operator is in TLS 1.2 (or 1.3), in TLS 1.2 with a suite of the
    API LPS list (each connection is judged once, at its authentication)."""
    found_logins = logins(exchanges)
    if not found_logins:
        return [skipped("MSS-27", "Aucune connexion à l'opérateur MSSanté enregistrée : TLS non vérifiable.")]
    lps, out = api_lps(), []
    for exchange in found_logins:
        version, cipher = exchange.transport.get("tls_version"), exchange.transport.get("cipher")
        where = _where(exchange)
        if version not in lps.versions:
            out.append(
                deviation(
                    "MSS-TLS-VERSION",
                    where,
                    f"{protocol(exchange)} en {found(version)}, attendu {listed(lps.versions)}",
                )
            )
        elif version == lps.list_version and not lps.listed(cipher):
            out.append(
                deviation(
                    "MSS-TLS-SUITE-HORS-LISTE",
                    where,
                    f"{protocol(exchange)} en {version} avec la suite {found(cipher)}, absente de la liste de "
                    "SC.MSS/CONF.03",
                )
            )
        else:
            out.append(passed("MSS-27", f"{protocol(exchange)} en {version}, suite {cipher}.", where))
    return out


@decides("MSS-27")
def check_unlisted_refused(exchanges: Sequence[Exchange], suite: str) -> list[Finding]:
    """MSS-27: ``exchanges``: what the operator recorded while it offered TLS 1.2 with ``suite`` (off the list) alone;
    a DUI that authenticated meanwhile negotiated it."""
    found_logins = logins(exchanges)
    if found_logins:
        return [
            deviation(
                "MSS-TLS-SUITE-ACCEPTEE",
                _where(e),
                f"{protocol(e)} en {found(e.transport.get('tls_version'))} avec la suite "
                f"{found(e.transport.get('cipher'))}, hors liste ; refus de la connexion attendu",
            )
            for e in found_logins
        ]
    return [
        passed(
            "MSS-27",
            f"Aucune connexion à l'opérateur qui n'offrait que la suite hors liste {suite} : le DUI l'a refusée.",
        )
    ]


def end_refresh_token(env, attempt, since: dict[str, int]) -> RefreshDeath:
    """The refresh tokens of the PSC login ``attempt`` (the scenario's only one) die at the PSC mock and its access
    tokens expire; the DUI revalidates its PSC sessions (adapter, or the tester); then the harness waits, at most
    :data:`SESSION_END_WAIT_S`, for the operator to see the sessions opened with their tokens end."""
    pro, recorder = attempt.professional, env.mss.recorder
    kill = recorder.mark()
    before = recorder.exchanges(since["mss"], limit=kill - since["mss"])
    env.psc.kill_refresh_tokens("expire")  # the PSC session ended at the provider; its access tokens with it
    env.psc.expire_access_tokens()
    sessions = born(attempt.pilot.revalidate(pro), attempt.run.earlier)
    opened = {e.id for e in professional_sessions(before, pro.id_national)}
    deadline = time.monotonic() + SESSION_END_WAIT_S
    while time.monotonic() < deadline:
        ended = {e.data.get("session_of") for e in recorder.exchanges(kill) if is_end(e)}
        if opened <= ended:
            break
        time.sleep(0.05)
    return RefreshDeath(before, recorder.exchanges(kill), sessions)


def refreshed(psc_exchanges: Iterable[Exchange]) -> bool:
    """The DUI obtained a new access token with its refresh token (a precondition of reopening a mailbox with it)."""
    return any(
        e.operation == TOKEN
        and form_params(e.request).get("grant_type") == "refresh_token"
        and e.response is not None
        and e.response.status == 200
        for e in psc_exchanges
    )
