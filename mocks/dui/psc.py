"""Pro Santé Connect login of the reference DUI: a correct OpenID Connect relying party (joserfc),
unless a ``psc-*`` defect of :data:`~.defects.DEFECTS` is switched on.

Authorization code flow with state, nonce, PKCE S256 and ``acr_values=eidas1`` (facts §5.2);
the ID token is checked as OIDC Core §3.1.3.7 says (an ``acr`` at or above eidas1: PSC returns eidas2 to CPS and
e-CPS logins, ansforge/keycloak-prosanteconnect#43), the userinfo JWT's ``sub`` against it
(§5.3.2); logout goes through end_session with ``id_token_hint``. One session per login, kept
in memory, reported to the harness by the adapter (``GET /session``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from joserfc import jws, jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

SESSION_COOKIE = "dui_session"
LEEWAY_S = 60
ACR = "eidas1"
ACCEPTED_ACR = ("eidas1", "eidas2", "eidas3")  # the level asked for, or above


class LoginRefused(RuntimeError):
    """The login is refused (French message shown to the user); nothing is kept."""


@dataclass
class PscSession:
    id: str
    claims: dict  # userinfo
    id_token: str
    access_token: str
    refresh_token: str | None

    def summary(self) -> dict:
        """What the adapter reports: who is logged in, as which profession, in which ESMS."""
        exercice = (self.claims.get("SubjectRefPro", {}).get("exercices") or [{}])[0]
        activity = (exercice.get("activities") or [{}])[0]
        return {
            "idNational": self.claims.get("SubjectNameID"),
            "nom": self.claims.get("family_name"),
            "prenom": self.claims.get("given_name"),
            "profession": exercice.get("codeProfession"),
            "secteurActivite": activity.get("codeSecteurDactivite"),
            "finess": activity.get("numeroFinessSite"),
            "structure": activity.get("raisonSocialeSite"),
        }

    def vihf_identity(self) -> dict[str, str]:
        """The VIHF identity of this professional (facts §3.3, userinfo → VIHF mapping of the ANS POC)."""
        s = self.summary()
        return {
            "subject": s["idNational"],
            "name": f"{s['nom']} {s['prenom']}",
            "profession": s["profession"],
            "sector": self.claims.get("Secteur_Activite") or "",
            "structure": "3" + (s["finess"] or ""),
        }


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class PscRelyingParty:
    """The DUI side of PSC: login URL, callback, logout, session refresh."""

    def __init__(
        self,
        discovery_url: str,
        client_id: str,
        client_secret: str,
        defects: frozenset[str],
        verify: str | bool = True,
        timeout: float = 10.0,
    ):
        self.discovery_url, self.client_id, self.client_secret = discovery_url, client_id, client_secret
        self.defects = defects
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = verify
        self.timeout = timeout
        self._meta: dict | None = None
        self._jwks: KeySet | None = None
        self._pending: dict[str, dict] = {}  # state -> nonce, verifier, redirect_uri
        self.sessions: dict[str, PscSession] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()
            if "psc-sessions-persistantes" not in self.defects:  # defect: the reset closes no session
                self.sessions.clear()
        self._meta = None
        if "psc-jwks-fige" not in self.defects:  # defect: the keys read once are kept for good
            self._jwks = None

    # --- provider metadata and keys -------------------------------------------------------
    def _get(self, url: str, **kwargs) -> requests.Response:
        try:
            return self.http.get(url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise LoginRefused(f"Pro Santé Connect injoignable : {exc}") from None

    def meta(self) -> dict:
        if self._meta is None:
            self._meta = self._get(self.discovery_url).json()
        return self._meta

    def _keys(self, refresh: bool = False) -> KeySet:
        if self._jwks is None or refresh:
            self._jwks = KeySet.import_key_set(self._get(self.meta()["jwks_uri"]).json())
        return self._jwks

    @staticmethod
    def _unverified(token: str) -> tuple[dict, dict]:
        """(header, claims) of a JWS read without checking its signature: what the defects below do."""
        try:
            obj = jws.extract_compact(token.encode())
            return obj.headers(), json.loads(obj.payload)
        except (JoseError, ValueError) as exc:
            raise LoginRefused(f"Jeton de Pro Santé Connect illisible ({exc}).") from None

    def _verified(self, token: str) -> tuple[dict, dict]:
        """(header, claims) of a JWS from PSC; the JWKS is fetched again once for an unknown kid (rotation)."""
        if "psc-signature-non-verifiee" in self.defects:  # defect: claims read, signature never checked
            return self._unverified(token)
        try:
            try:
                decoded = jwt.decode(token, self._keys(), algorithms=["RS256"])
            except InvalidKeyIdError:
                if "psc-jwks-fige" in self.defects:  # defect: an unknown kid refused without reading the JWKS again
                    raise
                decoded = jwt.decode(token, self._keys(refresh=True), algorithms=["RS256"])
        except (JoseError, ValueError) as exc:
            raise LoginRefused(f"Jeton de Pro Santé Connect refusé : signature non vérifiée ({exc}).") from None
        return decoded.header, decoded.claims

    # --- login ------------------------------------------------------------------------------
    def login_url(self, redirect_uri: str) -> str:
        state, nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
        with self._lock:
            kept_nonce = None if "psc-sans-nonce" in self.defects else nonce
            self._pending[state] = {"nonce": kept_nonce, "verifier": verifier, "redirect_uri": redirect_uri}
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid scope_all",
            "acr_values": ACR,
            "state": state,
            "nonce": nonce,
            "code_challenge": _s256(verifier),
            "code_challenge_method": "S256",
        }
        if "psc-sans-state" in self.defects:
            del query["state"]
        if "psc-sans-acr-values" in self.defects:
            del query["acr_values"]
        if "psc-sans-nonce" in self.defects:
            del query["nonce"]
        if "psc-sans-pkce" in self.defects:
            del query["code_challenge"], query["code_challenge_method"]
        return self.meta()["authorization_endpoint"] + "?" + urlencode(query)

    def callback(self, args) -> PscSession:
        """Complete the login from the callback's query; LoginRefused on anything wrong."""
        if args.get("error"):
            raise LoginRefused(f"Pro Santé Connect a refusé la connexion : {args.get('error')}.")
        with self._lock:
            state = args.get("state", "")
            if "psc-state-rejouable" in self.defects:  # defect: a state stays valid after its first use
                pending = self._pending.get(state)
            else:
                pending = self._pending.pop(state, None)
            unchecked = "psc-state-ignore" in self.defects or "psc-sans-state" in self.defects
            if pending is None and unchecked and self._pending:
                pending = self._pending.pop(next(reversed(self._pending)))  # defect: any pending login will do
        if pending is None:
            raise LoginRefused("Retour de Pro Santé Connect avec un « state » inconnu : connexion refusée.")
        try:
            data = {
                "grant_type": "authorization_code",
                "code": args.get("code", ""),
                "redirect_uri": pending["redirect_uri"],
                "code_verifier": pending["verifier"],
            }
            auth: tuple[str, str] | None = (self.client_id, self.client_secret)
            if "psc-redirect-different" in self.defects:
                data["redirect_uri"] += "/autre"
            if "psc-sans-pkce" in self.defects:
                del data["code_verifier"]
            if "psc-secret-dans-le-corps" in self.defects:  # client_secret_post, not a method PSC admits
                data.update(client_id=self.client_id, client_secret=self.client_secret)
                auth = None
            response = self.http.post(self.meta()["token_endpoint"], timeout=self.timeout, auth=auth, data=data)
            if "psc-code-rejoue" in self.defects:  # defect: the same code presented again, its answer ignored
                self.http.post(self.meta()["token_endpoint"], timeout=self.timeout, auth=auth, data=data)
            tokens = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise LoginRefused(f"Point de jeton de Pro Santé Connect injoignable ou illisible : {exc}") from None
        if response.status_code != 200 or not isinstance(tokens, dict) or "id_token" not in tokens:
            raise LoginRefused(f"Point de jeton de Pro Santé Connect en erreur (HTTP {response.status_code}).")
        claims = self._check_id_token(tokens["id_token"], pending["nonce"])
        userinfo = self._userinfo(tokens["access_token"])
        if userinfo.get("sub") != claims["sub"] and "psc-userinfo-non-verifie" not in self.defects:
            raise LoginRefused("userinfo décrit un autre utilisateur que le jeton d'identité : connexion refusée.")
        if "psc-identite-par-sub" in self.defects:  # defect: the pseudonymous sub taken for the national id
            userinfo = {**userinfo, "SubjectNameID": claims["sub"]}
        session = PscSession(
            secrets.token_urlsafe(24), userinfo, tokens["id_token"], tokens["access_token"], tokens.get("refresh_token")
        )
        with self._lock:
            self.sessions[session.id] = session
        return session

    def _check_id_token(self, token: str, nonce: str) -> dict:
        """OIDC Core §3.1.3.7, as the reference DUI's defects allow."""
        _, claims = self._verified(token)
        now = time.time()
        problems = []
        if claims.get("iss") != self.meta()["issuer"] and "psc-iss-non-verifie" not in self.defects:
            problems.append("émetteur inattendu")
        aud = claims.get("aud")
        foreign = self.client_id not in (aud if isinstance(aud, list) else [aud])
        if foreign and "psc-aud-non-verifie" not in self.defects:
            problems.append("audience qui n'est pas ce DUI")
        expired = not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < now - LEEWAY_S
        if expired and "psc-exp-non-verifie" not in self.defects:
            problems.append("jeton expiré")
        future = not isinstance(claims.get("iat"), (int, float)) or claims["iat"] > now + LEEWAY_S
        if future and "psc-iat-non-verifie" not in self.defects:
            problems.append("date d'émission dans le futur")
        if claims.get("nonce") != nonce and "psc-nonce-ignore" not in self.defects:
            problems.append("nonce différent de celui de la demande")
        accepted = (ACR,) if "psc-eidas2-refuse" in self.defects else ACCEPTED_ACR  # defect: eidas1 only
        if claims.get("acr") not in accepted and "psc-acr-non-verifie" not in self.defects:
            problems.append(f"niveau d'authentification {claims.get('acr')!r} au lieu de eidas1 ou plus")
        if not claims.get("sub"):
            problems.append("sub absent")
        if problems:
            raise LoginRefused(f"Jeton d'identité refusé : {', '.join(problems)}.")
        return claims

    def _userinfo(self, access_token: str) -> dict:
        response = self._get(self.meta()["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code != 200:
            raise LoginRefused(f"userinfo en erreur (HTTP {response.status_code}).")
        if "psc-userinfo-signature-non-verifiee" in self.defects:  # defect: only the ID token's signature checked
            return self._unverified(response.text)[1]
        return self._verified(response.text)[1]

    # --- after the login --------------------------------------------------------------------
    def logout_url(self, session_id: str, post_logout_redirect_uri: str) -> str:
        with self._lock:
            session = self.sessions.get(session_id)
            if session is not None and not self.defects & {
                "psc-session-apres-deconnexion",
                "psc-sessions-persistantes",
            }:
                del self.sessions[session_id]
        query = {"post_logout_redirect_uri": post_logout_redirect_uri, "state": secrets.token_urlsafe(8)}
        if session is not None:
            query["id_token_hint"] = session.id_token
        return self.meta()["end_session_endpoint"] + "?" + urlencode(query)

    def revalidate(self) -> None:
        """Check each session's access token at userinfo; refresh it when expired, else (no refresh token, or PSC
        refused it) end the session."""
        with self._lock:
            sessions = list(self.sessions.values())
        for session in sessions:
            try:
                self._userinfo(session.access_token)
                continue
            except LoginRefused:
                if "psc-jeton-expire-conserve" in self.defects:  # defect: the session kept, its token expired
                    continue
            if not self._refresh(session) and "psc-session-apres-refresh-mort" not in self.defects:
                with self._lock:
                    self.sessions.pop(session.id, None)

    def _refresh(self, session: PscSession) -> bool:
        if not session.refresh_token:
            return False
        try:
            response = self.http.post(
                self.meta()["token_endpoint"],
                timeout=self.timeout,
                auth=(self.client_id, self.client_secret),
                data={"grant_type": "refresh_token", "refresh_token": session.refresh_token},
            )
            tokens = response.json()
        except (requests.RequestException, ValueError):
            return False
        if response.status_code != 200 or "access_token" not in tokens:
            return False
        session.access_token, session.refresh_token = tokens["access_token"], tokens.get("refresh_token")
        return True
