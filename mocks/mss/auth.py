"""What the MSSanté mock accepts as credentials, shared by SMTP and IMAP (facts §7.7).

- login/password (tests, and historic clients);
- a bearer token, SASL XOAUTH2 or OAUTHBEARER (RFC 7628): the exact mechanism the operators
  use is unverified, so both are accepted; ``token_validator`` decides (the Pro Santé Connect
  mock will plug its own check; default: any non-empty token);
- a client certificate from the test PKI (SASL EXTERNAL), for applicative mailboxes (type APP).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Callable

TokenValidator = Callable[[str, str], bool]  # (mailbox, token) -> accepted?


def any_token(mailbox: str, token: str) -> bool:
    return bool(token.strip())


@dataclass
class Credentials:
    users: dict[str, str] = field(default_factory=dict)  # mailbox -> password
    token_validator: TokenValidator = any_token
    # certificate subject (RFC 4514) -> applicative mailbox; None: the PKI's DUI certificate opens any APP mailbox
    certificates: dict[str, str] | None = None

    def password_ok(self, login: str, password: str) -> bool:
        expected = self.users.get(login.lower())
        return expected is not None and expected == password

    def token_ok(self, login: str, token: str) -> bool:
        return self.token_validator(login.lower(), token)


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
