"""Signing keys and the deliberately bad ID tokens of the PSC mock (joserfc does the cryptography).

Each defect corrupts one element, as the OpenID Foundation's RP tests do (harness lessons §4):
a relying party that accepts the token has skipped the matching check of OIDC Core §3.1.3.7
(or, for the userinfo response, of §5.3.2).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization, RSAKey

ALG = "RS256"
# Longest token the mock reads: a 1 MB JOSE header is refused before any decoding.
MAX_TOKEN_CHARS = 16 * 1024

# defect name -> what the mock does to the ID token (or to the login) of one login, in French.
ID_TOKEN_DEFECTS: dict[str, str] = {
    "signature-invalide": "signature du jeton d'identité altérée",
    "alg-none": "jeton d'identité non signé (« alg »: « none »)",
    "kid-inconnu": "jeton d'identité signé par une clé absente du JWKS (« kid » inconnu)",
    "iss-errone": "émetteur (« iss ») différent de celui du fournisseur",
    "aud-errone": "audience (« aud ») qui n'est pas le client du DUI",
    "expire": "jeton d'identité expiré (« exp » dépassé)",
    "iat-futur": "date d'émission (« iat ») dans le futur",
    "nonce-different": "« nonce » différent de celui de la demande",
    "acr-insuffisant": "niveau d'authentification (« acr ») absent, donc inférieur à eidas1",
}
# defect name -> what the mock does to the userinfo response of one login (its ID token is sound), in French.
USERINFO_DEFECTS: dict[str, str] = {
    "sub-userinfo-different": "userinfo décrivant un autre « sub » que le jeton d'identité",
    "userinfo-signature-invalide": "signature de la réponse userinfo (JWT) altérée",
}
LOGIN_DEFECTS: dict[str, str] = {"etat-different": "retour au DUI avec un « state » différent de celui de la demande"}
# eIDAS level (« acr ») of a login -> the claims PSC adds to its tokens. PSC returns « eidas2 » with authMode « CARD »
# to users who log in with a CPS card or the e-CPS app (ansforge/keycloak-prosanteconnect#43, 2026); which logins get
# eidas2 rather than eidas1 is not published: the scenario chooses, per login. No authMode is reported for eidas1.
ACR_CLAIMS: dict[str, dict[str, str]] = {"eidas1": {}, "eidas2": {"authMode": "CARD"}}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class Keys:
    """The provider's signing keys: JWKS holds every key not retired; the newest one signs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys = [self._new()]
        self._stranger: RSAKey | None = None  # never published: the « kid-inconnu » defect signs with it

    @staticmethod
    def _new(kid: str | None = None) -> RSAKey:
        return RSAKey.generate_key(
            2048, parameters={"kid": kid or secrets.token_hex(8), "use": "sig", "alg": ALG}, private=True
        )

    @property
    def current(self) -> RSAKey:
        with self._lock:
            return self._keys[-1]

    def rotate(self) -> str:
        """Publish a new key and sign with it from now on (the old one stays published); returns its kid."""
        kid = secrets.token_hex(8)
        key = self._new(kid)
        with self._lock:
            self._keys.append(key)
        return kid

    def reset(self) -> None:
        with self._lock:
            self._keys = self._keys[:1]

    def keyset(self) -> KeySet:
        with self._lock:
            return KeySet(list(self._keys))

    def jwks(self) -> KeySetSerialization:
        return self.keyset().as_dict(private=False)

    def sign(self, claims: dict, typ: str = "JWT", defect: str | None = None) -> str:
        """A compact JWS of ``claims``; ``defect`` ``signature-invalide``, ``alg-none`` or ``kid-inconnu``."""
        if defect == "alg-none":
            return f"{_b64({'alg': 'none', 'typ': typ})}.{_b64(claims)}."
        if defect == "kid-inconnu":
            with self._lock:
                self._stranger = self._stranger or self._new()
                key = self._stranger
        else:
            key = self.current
        token = jwt.encode({"alg": ALG, "typ": typ, "kid": key.kid}, claims, key)
        if defect == "signature-invalide":
            head, payload, signature = token.split(".")
            flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
            token = f"{head}.{payload}.{flipped}"
        return token

    @staticmethod
    def readable(token: str) -> None:
        """ValueError (French) unless ``token`` is a compact JWS one can at least parse (someone else's key)."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise ValueError(f"jeton absent ou de plus de {MAX_TOKEN_CHARS} caractères")
        try:
            jws.extract_compact(token.encode())
        except (JoseError, ValueError, TypeError, KeyError, UnicodeError) as exc:
            raise ValueError(f"jeton illisible ({type(exc).__name__})") from None

    def verify(self, token: str) -> dict:
        """Claims of a token this provider signed; ValueError (French) if malformed, too long or not ours."""
        if not isinstance(token, str) or not token:
            raise ValueError("jeton absent")
        if len(token) > MAX_TOKEN_CHARS:
            raise ValueError(f"jeton de plus de {MAX_TOKEN_CHARS} caractères")
        try:
            return jwt.decode(token, self.keyset(), algorithms=[ALG]).claims
        except (JoseError, ValueError, TypeError, KeyError, UnicodeError) as exc:
            raise ValueError(f"jeton illisible ou non signé par ce fournisseur ({type(exc).__name__})") from None


def id_token_claims(
    issuer: str,
    client_id: str,
    sub: str,
    nonce: str | None,
    defect: str | None,
    lifetime: int = 300,
    level: dict[str, str] | None = None,
) -> dict:
    """ID token claims of one login, at the eIDAS ``level`` (``{"acr": …}`` and the claims that come with it;
    eidas1 by default), with the claim-level ``defect`` applied."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": sub,
        "aud": client_id,
        "azp": client_id,
        "exp": now + lifetime,
        "iat": now,
        "auth_time": now,
        "acr": "eidas1",
        "jti": secrets.token_hex(12),
        **(level or {}),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if defect == "iss-errone":
        claims["iss"] = issuer + "-usurpateur"
    elif defect == "aud-errone":
        claims["aud"] = claims["azp"] = "un-autre-client"
    elif defect == "expire":
        claims["iat"] = claims["auth_time"] = now - 2 * lifetime
        claims["exp"] = now - lifetime
    elif defect == "iat-futur":
        claims["iat"] = now + 3600
        claims["exp"] = now + 3600 + lifetime
    elif defect == "nonce-different":
        claims["nonce"] = "autre-" + secrets.token_hex(8)
    elif defect == "acr-insuffisant":
        del claims["acr"]
    return claims
