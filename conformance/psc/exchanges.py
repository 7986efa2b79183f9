"""The DUI's requests to Pro Santé Connect, judged from the exchanges the PSC mock recorded (PSC-01 … PSC-08,
PSC-19, PSC-22, PSC-23, PSC-27).

The mock answers as the real provider does: an unknown client, code or token gets its OAuth error, a readable
request an answer. It records what no request shows: the registration of the client a request names
(``data["registration"]``: redirect_uris, post_logout_redirect_uris, auth_methods, tls_subject; None for an
unknown client), an access token refused because it had expired (``data["expired"]``) and a refresh token refused
because the scenario made it die (``data["refresh_death"]``). The checks read the
raw requests, those records and the answers; where the provider stopped reading a request (unknown client,
garbled credentials, unreadable token), they stop too. Each failure names its code of
:data:`~dui_conformance.deviations.DEVIATIONS`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..decides import decides
from ..deviations import DEVIATIONS
from ..exchanges import Exchange
from ..model import Finding, Location, Outcome, failed, passed
from .oauth import (
    UnreadableCredentials,
    bearer_token,
    client_credentials,
    form_params,
    header,
    oauth_error,
    request_params,
    s256,
)

AUTHORIZE, TOKEN, USERINFO, LOGOUT, INTROSPECT = "authorize", "token", "userinfo", "logout", "introspect"
SCOPE = ("openid", "scope_all")
ACR = "eidas1"
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
# what a conforming authorize request shows, per requirement
AUTHORIZE_PASSES = {
    "PSC-01": "Demande d'autorisation en flux « code », portée « openid scope_all », eidas1, client enregistré.",
    "PSC-02": "Demande d'autorisation avec un « state ».",
    "PSC-04": "Demande d'autorisation avec un « nonce ».",
    "PSC-05": "Demande d'autorisation avec PKCE S256.",
    "PSC-06": "redirect_uri enregistré pour ce client.",
}


def deviation(code: str, exchange: Exchange, message: str | None = None) -> Finding:
    """The failure of ``code``'s requirement on ``exchange``: ``message``, or the code's label."""
    requirement, label = DEVIATIONS[code]
    return failed(requirement, message or f"{label}.", Location(exchange=exchange.id), code)


def _passed(requirement: str, exchange: Exchange, message: str) -> Finding:
    return passed(requirement, message, Location(exchange=exchange.id))


def _registration(exchange: Exchange) -> dict[str, Any] | None:
    """The provider's registration of the client the request names, as the mock recorded it (None: unknown)."""
    return exchange.data.get("registration")


def _error(exchange: Exchange) -> str | None:
    error = oauth_error(exchange.response)
    return error[0] if error else None


@decides("PSC-01", "PSC-02", "PSC-04", "PSC-05", "PSC-06")
def check_authorize(exchange: Exchange) -> list[Finding]:
    """PSC-01, 02, 04, 05, 06 on one authorize request: the code flow with scope « openid scope_all » and
    acr_values=eidas1 for a registered client, a state, a nonce, PKCE S256, a registered redirect_uri."""
    params = request_params(exchange.request)
    registration = _registration(exchange)
    if registration is None:
        return [
            deviation("PSC-CLIENT-INCONNU", exchange, f"client_id « {params.get('client_id', '')} » non enregistré.")
        ]
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri.startswith(("https://", "http://")):
        return [deviation("PSC-REDIRECT-ABSENT", exchange)]
    out = []
    if params.get("response_type") != "code":
        message = f"response_type « {params.get('response_type')} » : « code » attendu."
        out.append(deviation("PSC-RESPONSE-TYPE", exchange, message))
    if not set(SCOPE) <= set(params.get("scope", "").split()):
        message = f"scope « {params.get('scope', '')} » : « openid scope_all » attendu."
        out.append(deviation("PSC-SCOPE", exchange, message))
    if ACR not in params.get("acr_values", "").split():
        message = f"acr_values « {params.get('acr_values', '')} » : « eidas1 » attendu."
        out.append(deviation("PSC-ACR-VALUES", exchange, message))
    if not params.get("state"):
        out.append(deviation("PSC-STATE-ABSENT", exchange))
    if not params.get("nonce"):
        out.append(deviation("PSC-NONCE-ABSENT", exchange))
    if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
        message = "Pas de PKCE S256 (code_challenge et code_challenge_method=S256 attendus)."
        out.append(deviation("PSC-PKCE", exchange, message))
    registered = registration["redirect_uris"]
    if redirect_uri not in registered:
        message = (
            f"redirect_uri « {redirect_uri} » non enregistré pour ce client "
            f"(enregistrés : {', '.join(registered) or 'aucun'})."
        )
        out.append(deviation("PSC-REDIRECT-NON-ENREGISTRE", exchange, message))
    failing = {f.requirement for f in out}
    return out + [_passed(r, exchange, m) for r, m in AUTHORIZE_PASSES.items() if r not in failing]


@decides("PSC-07")
def check_client_authentication(exchange: Exchange) -> list[Finding]:
    """PSC-07 on one token or introspection request: a POST carrying the credentials of a registered client,
    by a method its registration admits. The provider refusing a secret it could read (invalid_client) means
    the secret was wrong; refusing a client_assertion (invalid_request) means it could not read it."""
    method = exchange.request.method
    if method != "POST":
        if exchange.operation != TOKEN:
            return []  # introspection answers 405 without reading the credentials
        return [deviation("PSC-METHODE-HTTP", exchange, f"Méthode {method} au point de jeton : POST attendu.")]
    error = oauth_error(exchange.response)
    if form_params(exchange.request).get("client_assertion") and error and error[0] == "invalid_request":
        return [deviation("PSC-AUTH-CLIENT", exchange, error[1])]
    try:
        credentials = client_credentials(exchange)
    except UnreadableCredentials as exc:
        return [deviation("PSC-AUTH-CLIENT", exchange, str(exc))]
    registration = _registration(exchange)
    if registration is None:
        return [deviation("PSC-AUTH-CLIENT", exchange, f"client_id « {credentials.client_id} » non enregistré.")]
    if credentials.method in SECRET_METHODS and error and error[0] == "invalid_client":
        return [deviation("PSC-AUTH-CLIENT", exchange, "Secret client erroné.")]
    subject, expected = exchange.transport.get("client_subject") or "", registration["tls_subject"]
    if credentials.method == "tls_client_auth" and expected and expected not in subject:
        message = f"Certificat client « {subject} » : « {expected} » attendu."
        return [deviation("PSC-AUTH-CLIENT", exchange, message)]
    admitted = registration["auth_methods"]
    if credentials.method not in admitted:
        message = f"Authentification du client par {credentials.method} : {' ou '.join(admitted)} attendu."
        return [deviation("PSC-AUTH-CLIENT", exchange, message)]
    return [_passed("PSC-07", exchange, f"Client « {credentials.client_id} » authentifié par {credentials.method}.")]


def _issued_code(authorize: Exchange) -> str | None:
    """The code an authorize answer sent back to the DUI (its redirect's ``code`` parameter)."""
    if authorize.response is None or authorize.response.status != 302:
        return None
    query = parse_qsl(urlsplit(header(authorize.response, "Location")).query)
    return next((value for name, value in query if name == "code"), None)


@decides("PSC-05", "PSC-06", "PSC-08")
def check_code_grants(exchanges: Sequence[Exchange]) -> list[Finding]:
    """PSC-08, 06, 05 over a scenario's exchanges, in order. Each code the provider read at the token endpoint
    (answered with tokens, or refused as invalid_grant) was issued to this client by an authorize answer and
    is presented for the first time, with the authorize request's redirect_uri and the code_verifier of its
    S256 code_challenge."""
    issued: dict[str, Exchange] = {}  # code -> the authorize exchange that issued it
    presented: set[str] = set()
    out = []
    for e in exchanges:
        code = _issued_code(e) if e.operation == AUTHORIZE else None
        if code:
            issued[code] = e
        form = form_params(e.request)
        read = e.response is not None and (e.response.status == 200 or _error(e) == "invalid_grant")
        if e.operation != TOKEN or form.get("grant_type") != "authorization_code" or not read:
            continue
        code = form.get("code", "")
        authorize = issued.get(code)
        replayed = authorize is not None and code in presented
        if authorize is not None:
            presented.add(code)
        # a code read means readable credentials: the provider refuses garbled ones first
        if authorize is None or request_params(authorize.request).get("client_id") != client_credentials(e).client_id:
            out.append(deviation("PSC-CODE-INCONNU", e))
            continue
        if replayed:
            out.append(deviation("PSC-CODE-REJOUE", e))
            continue
        out.append(_passed("PSC-08", e, "Code d'autorisation présenté une seule fois, par le client qui l'a reçu."))
        asked = request_params(authorize.request)
        if form.get("redirect_uri") != asked.get("redirect_uri", ""):
            out.append(deviation("PSC-REDIRECT-DIFFERENT", e))
        else:
            out.append(_passed("PSC-06", e, "redirect_uri du point de jeton identique à celui de la demande."))
        challenge, verifier = asked.get("code_challenge"), form.get("code_verifier")
        if challenge and asked.get("code_challenge_method") == "S256":
            if not verifier or s256(verifier) != challenge:
                message = "code_verifier absent ou ne correspondant pas au code_challenge S256."
                out.append(deviation("PSC-PKCE", e, message))
            else:
                out.append(_passed("PSC-05", e, "code_verifier correspondant au code_challenge S256 de la demande."))
    return out


@decides("PSC-19")
def check_userinfo_request(exchange: Exchange) -> list[Finding]:
    """PSC-19 on one userinfo request: an access token the provider can read (else its invalid_request)."""
    error = oauth_error(exchange.response)
    if error and error[0] == "invalid_request":
        return [deviation("PSC-JETON-MALFORME", exchange, error[1])]
    return [_passed("PSC-19", exchange, "Jeton d'accès lisible présenté à userinfo.")]


@decides("PSC-23", "PSC-27")
def check_token_lifecycle(exchanges: Sequence[Exchange]) -> list[Finding]:
    """PSC-23 and PSC-27 over a scenario's exchanges, in order: no refresh token the provider refuses
    (invalid_grant), but one that died at the provider (expired, invalid, revoked) presented once (how a relying
    party learns of its death), never again; no revoked or unknown access token at userinfo, and an expired one
    presented once, never again after PSC answered invalid_token."""
    told: set[str] = set()  # access tokens PSC already answered as expired
    dead: set[str] = set()  # refresh tokens PSC already refused as dead
    out = []
    for e in exchanges:
        if e.data.get("earlier"):  # a session an earlier scenario left: PSC-22 judges that it outlived its logout
            continue
        error = _error(e)
        if e.operation == TOKEN and form_params(e.request).get("grant_type") == "refresh_token":
            refresh = form_params(e.request).get("refresh_token", "")
            if error == "invalid_grant" and e.data.get("refresh_death"):
                if refresh in dead:
                    out.append(deviation("PSC-REFRESH-MORT-REPRESENTE", e))
                else:
                    dead.add(refresh)
                    message = "Jeton de rafraîchissement mort présenté une fois : PSC a répondu invalid_grant."
                    out.append(_passed("PSC-27", e, message))
            elif error == "invalid_grant":
                out.append(deviation("PSC-REFRESH-INCONNU", e))
            elif e.response is not None and e.response.status == 200:
                out.append(_passed("PSC-23", e, "Jeton d'accès rafraîchi par refresh_token."))
        if e.operation != USERINFO or error != "invalid_token":
            continue
        if not e.data.get("expired"):
            out.append(deviation("PSC-JETON-INACTIF", e, "Jeton d'accès révoqué ou inconnu."))
            continue
        token = bearer_token(e.request)
        if token in told:
            message = (
                "Jeton d'accès présenté de nouveau alors que PSC a déjà répondu qu'il avait expiré (invalid_token)."
            )
            out.append(deviation("PSC-JETON-EXPIRE", e, message))
        else:
            told.add(token)
            out.append(_passed("PSC-23", e, "Jeton d'accès expiré présenté une fois : PSC a répondu invalid_token."))
    return out


@decides("PSC-22")
def check_logout_request(exchange: Exchange) -> list[Finding]:
    """PSC-22 on one end_session request: an id_token_hint the provider can read, and a post_logout_redirect_uri
    (when given) registered for the client."""
    params = request_params(exchange.request)
    out = []
    if not params.get("id_token_hint"):
        out.append(deviation("PSC-DECONNEXION-SANS-HINT", exchange))
    else:
        error = oauth_error(exchange.response)
        if error and error[0] == "invalid_request":
            return [deviation("PSC-DECONNEXION-HINT-ILLISIBLE", exchange, error[1])]
    target, registration = params.get("post_logout_redirect_uri"), _registration(exchange)
    if target is not None and (registration is None or target not in registration["post_logout_redirect_uris"]):
        message = f"post_logout_redirect_uri « {target} » non enregistré pour ce client."
        out.append(deviation("PSC-POST-LOGOUT-NON-ENREGISTRE", exchange, message))
    return out or [_passed("PSC-22", exchange, "Déconnexion avec id_token_hint vers une adresse enregistrée.")]


# operation -> the check of one such request; then the checks over the whole sequence
REQUEST_CHECKS: dict[str, Callable[[Exchange], list[Finding]]] = {
    AUTHORIZE: check_authorize,
    TOKEN: check_client_authentication,
    INTROSPECT: check_client_authentication,
    USERINFO: check_userinfo_request,
    LOGOUT: check_logout_request,
}
SEQUENCE_CHECKS: tuple[Callable[[Sequence[Exchange]], list[Finding]], ...] = (check_code_grants, check_token_lifecycle)


def check_exchanges(exchanges: Sequence[Exchange]) -> list[Finding]:
    """Every finding of the checks above on a scenario's PSC exchanges, exchange by exchange (for one exchange:
    its request check first, as the provider reads the credentials before the code)."""
    by_exchange: defaultdict[str | None, list[Finding]] = defaultdict(list)
    for check in SEQUENCE_CHECKS:
        for finding in check(exchanges):
            by_exchange[finding.location.exchange].append(finding)
    out = []
    for e in exchanges:
        request_check = REQUEST_CHECKS.get(e.operation or "")
        out += (request_check(e) if request_check else []) + by_exchange[e.id]
    return out


def judge_exchanges(exchanges: Sequence[Exchange]) -> list[Finding]:
    """The audit of a live scenario's PSC exchanges: each failure, its deviation code in front of its message."""
    return [
        replace(f, message=f"{f.evidence} : {f.message}")
        for f in check_exchanges(exchanges)
        if f.outcome is Outcome.FAIL
    ]
