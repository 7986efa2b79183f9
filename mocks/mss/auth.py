"""What the MSSanté mock accepts as credentials, shared by SMTP and IMAP (facts §7.7, vague 2 API LPS).

- login/password (tests, historic clients), and for an applicative mailbox (type APP) PLAIN with the mailbox as
  login inside a TLS session that presented the DUI's certificate (SC.MSS/CONF.12);
- a bearer token, SASL XOAUTH2 (SC.MSS/CONF.07) or OAUTHBEARER (RFC 7628), for personal and organisational
  mailboxes: a :data:`TokenReader` reads it (the live environment plugs the Pro Santé Connect mock's keys and token
  states, :func:`psc_reader`; without it, any non-empty token is taken at its word) and the mailbox must be the
  token's professional's (PER) or their structure's (ORG);
- a client certificate from the test PKI (SASL EXTERNAL), for applicative mailboxes.

What the mock read in a token (:class:`TokenFacts`) is recorded with the authentication; the library judges it
(``dui_conformance.live.mss_auth``). A real operator refuses a token that is not valid: so does the mock.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dui_conformance.live.mss_auth import (
    TOKEN_CLAIMS,
    TOKEN_EXPIRED,
    TOKEN_FOREIGN_CLIENT,
    TOKEN_UNREADABLE,
    TOKEN_UNVERIFIED,
    TOKEN_VALID,
)

from .directory import Directory, Mailbox

BEARER_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")
# what a provider says of an access token it issued, by jti: TOKEN_VALID, or why not (expired, revoked, unknown)
TokenStatus = Callable[[str], str]


@dataclass(frozen=True)
class TokenFacts:
    """A bearer token as the operator read it: its state (``TOKEN_*``), why it is refused (French), its claims."""

    status: str
    reason: str = ""
    claims: dict = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.status in (TOKEN_VALID, TOKEN_UNVERIFIED)

    def record(self) -> dict:
        return {"statut": self.status, "motif": self.reason, **self.claims}


TokenReader = Callable[[str], TokenFacts]


def read_unverified(token: str) -> TokenFacts:
    """No provider to ask: any non-empty token, nothing known of its professional."""
    if not token.strip():
        return TokenFacts(TOKEN_UNREADABLE, "jeton vide")
    return TokenFacts(TOKEN_UNVERIFIED, "aucun fournisseur PSC branché : jeton non vérifié")


def psc_reader(verify: Callable[[str], dict], status: TokenStatus, azp_allowed: Sequence[str] = ()) -> TokenReader:
    """Read tokens as the operator does with Pro Santé Connect: ``verify(token)`` gives the claims of a token the
    provider signed (ValueError otherwise), its ``exp`` must be ahead, ``status(jti)`` says whether the provider
    still holds it valid (introspection), and its ``azp`` is one of ``azp_allowed`` (empty: not checked, unsourced)."""

    def read(token: str) -> TokenFacts:
        try:
            claims = verify(token)
        except ValueError as exc:
            return TokenFacts(TOKEN_UNREADABLE, f"jeton refusé : {exc}")
        kept = {name: claims.get(name) for name in TOKEN_CLAIMS}
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= time.time():
            return TokenFacts(TOKEN_EXPIRED, "« exp » dépassé", kept)
        state = status(str(claims.get("jti", "")))
        if state != TOKEN_VALID:
            return TokenFacts(state, "jeton que Pro Santé Connect ne tient plus pour valide", kept)
        if azp_allowed and claims.get("azp") not in azp_allowed:
            return TokenFacts(TOKEN_FOREIGN_CLIENT, f"client « {claims.get('azp')} » non admis", kept)
        return TokenFacts(TOKEN_VALID, "", kept)

    return read


def token_opens(directory: Directory, facts: TokenFacts, box: Mailbox | None) -> bool:
    """A token opens its professional's personal mailbox and the organisational mailboxes of the structures they
    work in; a token nobody verified opens any personal or organisational mailbox."""
    if box is None or box.type not in ("PER", "ORG") or not facts.accepted:
        return False
    if facts.status == TOKEN_UNVERIFIED:
        return True
    national_id = facts.claims.get("SubjectNameID")
    pro = next((p for p in directory.professionals if p["identifiant_national"] == national_id), None)
    if pro is None:
        return False
    if box.type == "PER":
        return box.owner == pro["id"]
    return box.owner in pro.get("activites", [pro["structure"]])


@dataclass
class Credentials:
    users: dict[str, str] = field(default_factory=dict)  # mailbox -> password
    token_reader: TokenReader = read_unverified

    def password_ok(self, login: str, password: str) -> bool:
        expected = self.users.get(login.lower())
        return expected is not None and expected == password


def parse_xoauth2(raw: bytes) -> tuple[str, str] | None:
    """``user=<mailbox>\\x01auth=Bearer <token>\\x01\\x01`` → (mailbox, token)."""
    fields = dict(part.split("=", 1) for part in raw.decode("utf-8", "replace").split("\x01") if "=" in part)
    auth = fields.get("auth", "")
    if "user" not in fields or not auth.lower().startswith("bearer "):
        return None
    return fields["user"], auth[7:]


def parse_oauthbearer(raw: bytes) -> tuple[str, str] | None:
    """RFC 7628: ``n,a=<mailbox>,\\x01host=…\\x01auth=Bearer <token>\\x01\\x01`` → (mailbox, token)."""
    text = raw.decode("utf-8", "replace")
    gs2, _, rest = text.partition("\x01")
    user = next((p[2:] for p in gs2.split(",") if p.startswith("a=")), "")
    fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
    auth = fields.get("auth", "")
    if not auth.lower().startswith("bearer "):
        return None
    return user.replace("=2C", ",").replace("=3D", "="), auth[7:]


def b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
