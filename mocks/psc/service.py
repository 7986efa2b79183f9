"""The Pro Santé Connect mock: an OpenID provider with the PSC realm layout (facts §5.1) on 127.0.0.1.

Permissive and recording (harness lessons §4 and §10): it answers deviant requests (no state,
no nonce, no PKCE, unregistered redirect_uri, no ``acr_values=eidas1``, unexpected client
authentication…) and judges none of them: :mod:`dui_conformance.psc.exchanges` does, from the
recorded exchanges. What no provider can answer (unknown client or code, replayed code, unreadable
token) gets the OAuth error a real one gives, never a crash. Each exchange records what the judge
cannot read in the request: the registration of the client it names (``data["registration"]``), an
access token refused as expired (``data["expired"]``), a token issued before the last reset (``data["earlier"]``: a
session an earlier scenario left in the DUI, refused as a real provider refuses an ended session's), the eIDAS level
of the tokens issued (``data["acr"]``) and how a refused refresh token died (``data["refresh_death"]``). Per login, a
scenario can ask for a bad ID token (:data:`ID_TOKEN_DEFECTS`), a bad userinfo response (:data:`USERINFO_DEFECTS`), a
callback with another state, or an eIDAS level above the eidas1 the DUI asks for (:data:`ACR_CLAIMS`); it can rotate
the signing key, expire the access tokens and make the refresh tokens die (:data:`REFRESH_DEATHS`).
"""

from __future__ import annotations

import html
import itertools
import json
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

from dui_conformance.live.mss_auth import TOKEN_EXPIRED, TOKEN_REVOKED, TOKEN_UNKNOWN, TOKEN_VALID
from dui_conformance.mocks.common import Exchange, MockService
from dui_conformance.mocks.common.pki import CLIENT_NAME
from dui_conformance.psc.oauth import UnreadableCredentials, bearer_token, client_credentials
from dui_conformance.psc.professionals import Professional, directory, professional

from .tokens import ACR_CLAIMS, ID_TOKEN_DEFECTS, LOGIN_DEFECTS, USERINFO_DEFECTS, Keys, id_token_claims

REALM = "/auth/realms/esante-wallet"
OIDC = REALM + "/protocol/openid-connect"
AUTHORIZE = "/auth"  # the wallet host's path in production (facts §5.1), served here on the same port
SCOPE = ("openid", "scope_all")
ACR = "eidas1"
CLIENT_AUTH_METHODS = ("client_secret_basic", "tls_client_auth")
DEFAULT_CLIENT_ID = "dui-conformance"
DEFAULT_CLIENT_SECRET = "secret-de-test-psc"
# the answer to a token of a session an earlier scenario left in the DUI (issued before the provider's last reset)
EARLIER_TOKEN = "Jeton émis avant la remise à zéro du fournisseur (session d'un scénario précédent)."
# how a refresh token dies -> what the provider answers (invalid_grant: RFC 6749 §5.2 « invalid, expired, revoked »)
REFRESH_DEATHS: dict[str, str] = {
    "expire": "Jeton de rafraîchissement expiré (session Pro Santé Connect terminée).",
    "invalide": "Jeton de rafraîchissement invalide.",
    "revoque": "Jeton de rafraîchissement révoqué.",
}


@dataclass
class Client:
    """A relying party as registered on the industriels portal (here: by the harness)."""

    client_id: str
    secret: str
    redirect_uris: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    auth_methods: tuple[str, ...] = CLIENT_AUTH_METHODS
    tls_subject: str | None = f"CN={CLIENT_NAME}"  # substring of the client certificate's subject

    def registration(self) -> dict[str, Any]:
        """What the judge of the exchanges needs to know of this client (never its secret)."""
        return {
            "client_id": self.client_id,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "auth_methods": list(self.auth_methods),
            "tls_subject": self.tls_subject,
        }


@dataclass(frozen=True)
class PlannedLogin:
    """Who authenticates at the next authorize request, how, and what the mock does wrong."""

    professional: Professional
    auth_mode: str = "e-CPS"
    defect: str | None = None
    acr: str = ACR  # the eIDAS level PSC returns in the tokens of this login


@dataclass
class _Grant:
    login: int
    plan: PlannedLogin
    client_id: str
    nonce: str | None
    used: bool = False


@dataclass
class _Tokens:
    login: int
    plan: PlannedLogin
    client_id: str
    jti: str
    refresh_token: str
    expires_at: float
    access_token: str = ""
    active: bool = True
    refresh_death: str | None = None  # how its refresh token died (REFRESH_DEATHS), None while it lives


def _oauth_error(error: str, description: str, status: int = 400, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"error": error, "error_description": description}, ensure_ascii=False)
    return Response(body, status, headers=headers, mimetype="application/json")


def _json(payload: Mapping[str, Any]) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False), 200, mimetype="application/json", headers={"Cache-Control": "no-store"}
    )


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


class PscMock(MockService):
    """``PscMock().start()`` returns the issuer; give the DUI :attr:`discovery_url` and the client below."""

    service = "psc"
    endpoint_path = REALM

    def __init__(
        self,
        port: int = 0,
        ssl_context=None,
        access_token_lifetime: int = 300,
        acr_claims: Mapping[str, Mapping[str, str]] = ACR_CLAIMS,
    ):
        """``acr_claims``: eIDAS level -> claims added to its tokens (what #43 does not say is a parameter)."""
        super().__init__(port=port, ssl_context=ssl_context)
        self.keys = Keys()
        self.access_token_lifetime = access_token_lifetime
        self.acr_claims = {level: dict(claims) for level, claims in acr_claims.items()}
        self.clients: dict[str, Client] = {}
        self.register_client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        self._lock = threading.Lock()
        self._plans: list[PlannedLogin] = []
        self._grants: dict[str, _Grant] = {}
        self._tokens: dict[str, _Tokens] = {}  # by access-token jti
        self._earlier: set[str] = set()  # access and refresh tokens issued before the last reset
        self._logins = itertools.count(1)

    # -- harness API ---------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return self.url

    @property
    def discovery_url(self) -> str:
        return self.url + "/.well-known/wallet-openid-configuration"

    def register_client(
        self,
        client_id: str,
        secret: str,
        redirect_uris: Sequence[str] = (),
        post_logout_redirect_uris: Sequence[str] = (),
        **options: Any,
    ) -> Client:
        client = self.clients[client_id] = Client(
            client_id, secret, list(redirect_uris), list(post_logout_redirect_uris), **options
        )
        return client

    def plan_login(
        self, professional_id: str, auth_mode: str = "e-CPS", defect: str | None = None, acr: str = ACR
    ) -> PlannedLogin:
        """The next authorize request logs this professional in (without a login page), with ``defect``, at the
        eIDAS level ``acr``."""
        pro = professional(professional_id)
        if acr not in self.acr_claims:
            raise ValueError(f"Niveau eIDAS inconnu : {acr} (connus : {', '.join(self.acr_claims)}).")
        known = [*ID_TOKEN_DEFECTS, *USERINFO_DEFECTS, *LOGIN_DEFECTS]
        if defect is not None and defect not in known:
            raise ValueError(f"Défaut de connexion inconnu : {defect} (connus : {', '.join(known)}).")
        if auth_mode not in pro.authentification:
            raise ValueError(
                f"{pro.display_name} ne s'authentifie pas par {auth_mode} (moyens : {', '.join(pro.authentification)})."
            )
        plan = PlannedLogin(pro, auth_mode, defect, acr)
        with self._lock:
            self._plans.append(plan)
        return plan

    def rotate_keys(self) -> str:
        """A new key appears in the JWKS and signs every token from now on; returns its ``kid``."""
        return self.keys.rotate()

    def token_status(self, jti: str) -> str:
        """What the provider says of the access token ``jti`` (its introspection), for the MSSanté operator mock:
        valid, expired, revoked (refreshed or ended) or unknown (SC.MSS/CONF.07, CONF.10)."""
        with self._lock:
            tokens = self._tokens.get(jti)
        if tokens is None:
            return TOKEN_UNKNOWN
        if not tokens.active:
            return TOKEN_REVOKED
        return TOKEN_VALID if tokens.expires_at > time.time() else TOKEN_EXPIRED

    def expire_access_tokens(self) -> int:
        """Every access token issued so far is now expired (userinfo answers invalid_token); returns how many."""
        with self._lock:
            for tokens in self._tokens.values():
                tokens.expires_at = 0.0
            return len(self._tokens)

    def kill_refresh_tokens(self, how: str) -> int:
        """Every live refresh token dies ``how`` (:data:`REFRESH_DEATHS`): PSC answers invalid_grant to each from
        now on, and records how it died on the refused exchange; returns how many."""
        if how not in REFRESH_DEATHS:
            raise ValueError(
                f"Fin de jeton de rafraîchissement inconnue : {how} (connues : {', '.join(REFRESH_DEATHS)})."
            )
        with self._lock:
            living = [t for t in self._tokens.values() if t.active and t.refresh_death is None]
            for tokens in living:
                tokens.refresh_death = how
            return len(living)

    def reset(self) -> None:
        super().reset()
        self.keys.reset()
        with self._lock:
            self._plans.clear()
            self._grants.clear()
            self._earlier.update(
                t for tokens in self._tokens.values() for t in (tokens.access_token, tokens.refresh_token)
            )
            self._tokens.clear()

    def discovery(self) -> dict:
        oidc = self.base_url + OIDC
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.base_url + AUTHORIZE,
            "token_endpoint": oidc + "/token",
            "userinfo_endpoint": oidc + "/userinfo",
            "end_session_endpoint": oidc + "/logout",
            "introspection_endpoint": oidc + "/token/introspect",
            "jwks_uri": oidc + "/certs",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(SCOPE),
            "acr_values_supported": [ACR],
            "claims_parameter_supported": False,
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
            "tls_client_certificate_bound_access_tokens": False,
        }

    # -- dispatch ------------------------------------------------------------------------------
    def handle(self, request: Request, exchange: Exchange) -> Response:
        routes = {
            REALM + "/.well-known/wallet-openid-configuration": ("discovery", self._discovery),
            REALM + "/.well-known/openid-configuration": ("discovery", self._discovery),
            AUTHORIZE: ("authorize", self._authorize),
            OIDC + "/auth": ("authorize", self._authorize),
            OIDC + "/token": ("token", self._token),
            OIDC + "/userinfo": ("userinfo", self._userinfo),
            OIDC + "/certs": ("jwks", self._jwks),
            OIDC + "/logout": ("logout", self._logout),
            OIDC + "/token/introspect": ("introspect", self._introspect),
        }
        route = routes.get(request.path)
        if route is None:
            return _oauth_error("invalid_request", "Chemin inconnu du fournisseur PSC simulé.", 404)
        exchange.operation = route[0]
        return route[1](request, exchange)

    def _discovery(self, request: Request, exchange: Exchange) -> Response:
        return _json(self.discovery())

    def _jwks(self, request: Request, exchange: Exchange) -> Response:
        jwks = self.keys.jwks()
        exchange.data["kids"] = [k["kid"] for k in jwks["keys"]]
        return _json(jwks)

    # -- authorize -----------------------------------------------------------------------------
    def _authorize(self, request: Request, exchange: Exchange) -> Response:
        args = request.values
        client = self.clients.get(args.get("client_id", ""))
        redirect_uri = args.get("redirect_uri", "")
        exchange.data.update(
            {
                k: args.get(k)
                for k in (
                    "client_id",
                    "redirect_uri",
                    "scope",
                    "acr_values",
                    "state",
                    "nonce",
                    "code_challenge_method",
                    "response_type",
                )
            }
        )
        exchange.data["registration"] = client.registration() if client else None
        if client is None:
            return _oauth_error("invalid_client", "client_id inconnu du fournisseur PSC simulé.", 400)
        if not redirect_uri.startswith(("https://", "http://")):
            return _oauth_error("invalid_request", "redirect_uri absent ou non absolu.")
        plan = self._take_plan(request)
        if plan is None:
            exchange.data["page_de_connexion"] = True
            return self._login_page(args)
        login = next(self._logins)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(login, plan, client.client_id, args.get("nonce"))
        exchange.data.update(
            {
                "login": login,
                "professionnel": plan.professional.id,
                "moyen": plan.auth_mode,
                "defaut": plan.defect,
                "niveau": plan.acr,
            }
        )
        params = {"code": code}
        state = args.get("state")
        if plan.defect == "etat-different":
            params["state"] = "autre-" + secrets.token_urlsafe(8)
        elif state is not None:
            params["state"] = state
        exchange.data["state_returned"] = params.get("state")
        return Response(status=302, headers={"Location": _with_query(redirect_uri, params)})

    def _take_plan(self, request: Request) -> PlannedLogin | None:
        chosen = request.form.get("professionnel") if request.method == "POST" else None
        if chosen:
            try:
                pro = professional(chosen)
            except KeyError:
                return None
            moyen = request.form.get("moyen", pro.authentification[0])
            niveau = request.form.get("niveau", ACR)
            return PlannedLogin(
                pro,
                moyen if moyen in pro.authentification else pro.authentification[0],
                acr=niveau if niveau in self.acr_claims else ACR,
            )
        with self._lock:
            return self._plans.pop(0) if self._plans else None

    def _login_page(self, args) -> Response:
        """The page a tester sees in attended mode: choose a fictitious professional and a means."""
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in args.items(multi=True)
            if k not in ("professionnel", "moyen", "niveau")
        )
        options = "".join(
            f'<option value="{html.escape(p.id)}">{html.escape(p.display_name)}</option>' for p in directory()
        )
        levels = "".join(f"<option>{html.escape(level)}</option>" for level in self.acr_claims)
        body = (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Pro Santé Connect (simulé)</title>'
            "</head><body><h1>Pro Santé Connect — fournisseur simulé</h1>"
            "<p>Environnement de test : professionnels fictifs uniquement.</p>"
            f'<form method="post" action="{AUTHORIZE}">{hidden}'
            f'<label>Professionnel <select name="professionnel">{options}</select></label> '
            '<label>Moyen <select name="moyen"><option>e-CPS</option><option>CPS</option></select></label> '
            f'<label>Niveau eIDAS renvoyé <select name="niveau">{levels}</select></label> '
            '<button type="submit">Se connecter</button></form></body></html>'
        )
        return Response(body, 200, mimetype="text/html")

    # -- token ---------------------------------------------------------------------------------
    def _client_auth(self, request: Request, exchange: Exchange) -> Client | Response:
        """The authenticated client, or the invalid_client answer (a method the client may not use is answered
        as the real provider does: refused only when it proves nothing, ``none`` and ``private_key_jwt``)."""
        assertion = request.form.get("client_assertion")
        if assertion:
            try:
                Keys.readable(assertion)
            except ValueError as exc:
                return _oauth_error("invalid_request", f"client_assertion illisible : {exc}.")
        try:
            credentials = client_credentials(exchange)
        except UnreadableCredentials as exc:
            return _oauth_error("invalid_client", str(exc), 401)
        method = credentials.method
        client = self.clients.get(credentials.client_id)
        exchange.data.update(
            {
                "client_id": credentials.client_id,
                "client_auth": method,
                "registration": client.registration() if client else None,
            }
        )
        if client is None:
            return _oauth_error("invalid_client", "Client inconnu.", 401)
        subject = exchange.transport.get("client_subject") or ""
        if method in ("client_secret_basic", "client_secret_post") and credentials.secret != client.secret:
            return _oauth_error("invalid_client", "Authentification du client refusée.", 401)
        if method == "tls_client_auth" and client.tls_subject and client.tls_subject not in subject:
            return _oauth_error("invalid_client", "Certificat client non reconnu.", 401)
        if method not in client.auth_methods and method in ("none", "private_key_jwt"):
            return _oauth_error("invalid_client", f"Méthode d'authentification {method} non prise en charge.", 401)
        return client

    def _token(self, request: Request, exchange: Exchange) -> Response:
        if request.method != "POST":
            return _oauth_error("invalid_request", "POST attendu.", 405)
        client = self._client_auth(request, exchange)
        if isinstance(client, Response):
            return client
        grant_type = request.form.get("grant_type")
        exchange.data["grant_type"] = grant_type
        if grant_type == "authorization_code":
            return self._code_grant(request, exchange, client)
        if grant_type == "refresh_token":
            return self._refresh_grant(request, exchange, client)
        return _oauth_error("unsupported_grant_type", f"grant_type « {grant_type} » non pris en charge.")

    def _code_grant(self, request: Request, exchange: Exchange, client: Client) -> Response:
        code = request.form.get("code", "")
        with self._lock:
            grant = self._grants.get(code)
            replayed = grant is not None and grant.used
            if grant is not None:
                grant.used = True
        if grant is None or grant.client_id != client.client_id:
            return _oauth_error("invalid_grant", "Code d'autorisation inconnu.")
        exchange.data.update({"login": grant.login, "professionnel": grant.plan.professional.id})
        if replayed:
            self._revoke(grant.login)
            return _oauth_error("invalid_grant", "Code d'autorisation déjà utilisé.")
        return self._issue(exchange, client, grant.login, grant.plan, grant.nonce, with_id_token=True)

    def _refresh_grant(self, request: Request, exchange: Exchange, client: Client) -> Response:
        refresh = request.form.get("refresh_token", "")
        if refresh in self._earlier:
            exchange.data["earlier"] = True
            return _oauth_error("invalid_grant", EARLIER_TOKEN)
        with self._lock:
            old = next((t for t in self._tokens.values() if t.refresh_token == refresh and t.active), None)
            if old is not None and old.refresh_death is None:
                old.active = False
        if old is None or old.client_id != client.client_id:
            return _oauth_error("invalid_grant", "Jeton de rafraîchissement inconnu ou révoqué.")
        if old.refresh_death is not None:
            exchange.data.update(
                {"login": old.login, "professionnel": old.plan.professional.id, "refresh_death": old.refresh_death}
            )
            return _oauth_error("invalid_grant", REFRESH_DEATHS[old.refresh_death])
        exchange.data.update({"login": old.login, "professionnel": old.plan.professional.id})
        return self._issue(exchange, client, old.login, old.plan, None, with_id_token=False)

    def _issue(
        self, exchange: Exchange, client: Client, login: int, plan: PlannedLogin, nonce: str | None, with_id_token: bool
    ) -> Response:
        pro, now = plan.professional, int(time.time())
        jti = secrets.token_hex(12)
        access = self.keys.sign(
            {
                "iss": self.issuer,
                "sub": pro.sub,
                "azp": client.client_id,
                "typ": "Bearer",
                "iat": now,
                "exp": now + self.access_token_lifetime,
                "jti": jti,
                "scope": " ".join(SCOPE),
                **self._level(plan),
                "SubjectNameID": pro.id_national,
            }
        )
        tokens = _Tokens(
            login,
            plan,
            client.client_id,
            jti,
            secrets.token_urlsafe(32),
            time.time() + self.access_token_lifetime,
            access,
        )
        with self._lock:
            self._tokens[jti] = tokens
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "refresh_token": tokens.refresh_token,
            "scope": " ".join(SCOPE),
        }
        if with_id_token:
            defect = plan.defect if plan.defect in ID_TOKEN_DEFECTS else None
            claims = id_token_claims(self.issuer, client.client_id, pro.sub, nonce, defect, level=self._level(plan))
            body["id_token"] = self.keys.sign(claims, defect=defect)
            exchange.data.update(
                {"id_token_defect": defect, "kid": self.keys.current.kid, "sub": pro.sub, "acr": claims.get("acr")}
            )
        return _json(body)

    def _level(self, plan: PlannedLogin) -> dict[str, str]:
        """The « acr » claim of ``plan``'s tokens and the claims PSC adds at that level (authMode for eidas2)."""
        return {"acr": plan.acr, **self.acr_claims[plan.acr]}

    def _revoke(self, login: int) -> None:
        with self._lock:
            for tokens in self._tokens.values():
                if tokens.login == login:
                    tokens.active = False

    # -- userinfo, introspection, logout -------------------------------------------------------
    def _access_token(self, request: Request, exchange: Exchange) -> _Tokens | Response:
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if bearer_token(exchange.request) in self._earlier:
            exchange.data["earlier"] = True
            return _oauth_error("invalid_token", EARLIER_TOKEN, 401, challenge)
        try:
            claims = self.keys.verify(bearer_token(exchange.request))
        except ValueError as exc:
            return _oauth_error("invalid_request", f"Jeton d'accès illisible : {exc}.", 400)
        with self._lock:
            tokens = self._tokens.get(claims.get("jti", ""))
        if tokens is None or not tokens.active:
            return _oauth_error("invalid_token", "Jeton d'accès révoqué ou inconnu.", 401, challenge)
        exchange.data.update({"login": tokens.login, "professionnel": tokens.plan.professional.id})
        if tokens.expires_at <= time.time():
            exchange.data["expired"] = True
            return _oauth_error("invalid_token", "Jeton d'accès expiré.", 401, challenge)
        return tokens

    def _userinfo(self, request: Request, exchange: Exchange) -> Response:
        tokens = self._access_token(request, exchange)
        if isinstance(tokens, Response):
            return tokens
        claims = tokens.plan.professional.userinfo()
        if tokens.plan.defect == "sub-userinfo-different":
            claims["sub"] = next(p.sub for p in directory() if p.id != tokens.plan.professional.id)
        claims.update({"iss": self.issuer, "aud": tokens.client_id})
        exchange.data["sub"] = claims["sub"]
        defect = "signature-invalide" if tokens.plan.defect == "userinfo-signature-invalide" else None
        return Response(self.keys.sign(claims, defect=defect), 200, mimetype="application/jwt")

    def _introspect(self, request: Request, exchange: Exchange) -> Response:
        if request.method != "POST":
            return _oauth_error("invalid_request", "POST attendu.", 405)
        client = self._client_auth(request, exchange)
        if isinstance(client, Response):
            return client
        token = request.form.get("token", "")
        with self._lock:
            refresh = next((t for t in self._tokens.values() if t.refresh_token == token), None)
        if refresh is not None:
            return _json(
                {
                    "active": refresh.active and refresh.refresh_death is None,
                    "typ": "Refresh",
                    "sub": refresh.plan.professional.sub,
                    "azp": refresh.client_id,
                    "iss": self.issuer,
                }
            )
        try:
            claims = self.keys.verify(token)
        except ValueError as exc:
            return _oauth_error("invalid_request", f"Jeton illisible : {exc}.")
        with self._lock:
            tokens = self._tokens.get(claims.get("jti", ""))
        active = tokens is not None and tokens.active and tokens.expires_at > time.time()
        return _json({**claims, "active": active} if active else {"active": False})

    def _logout(self, request: Request, exchange: Exchange) -> Response:
        args = request.values
        hint, target = args.get("id_token_hint"), args.get("post_logout_redirect_uri")
        exchange.data.update(
            {"id_token_hint": bool(hint), "post_logout_redirect_uri": target, "state": args.get("state")}
        )
        claims: dict[str, Any] | None = None
        if hint:
            try:
                claims = self.keys.verify(hint)
            except ValueError as exc:
                return _oauth_error("invalid_request", f"id_token_hint illisible : {exc}.")
        client = self.clients.get((claims or {}).get("aud") or args.get("client_id", ""))
        exchange.data["registration"] = client.registration() if client else None
        if claims is not None:
            with self._lock:
                ended = [
                    t
                    for t in self._tokens.values()
                    if t.plan.professional.sub == claims.get("sub") and t.client_id == claims.get("aud") and t.active
                ]
                for tokens in ended:
                    tokens.active = False
            exchange.data.update({"sub": claims.get("sub"), "logins": sorted({t.login for t in ended})})
        if target is None:
            return Response(
                '<!doctype html><html lang="fr"><body><p>Vous êtes déconnecté de Pro Santé Connect '
                "(simulé).</p></body></html>",
                200,
                mimetype="text/html",
            )
        state = args.get("state")
        return Response(status=302, headers={"Location": _with_query(target, {"state": state} if state else {})})
