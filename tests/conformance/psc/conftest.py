"""Hand-made PSC exchanges, raw requests and answers as the PSC mock records them, for the pure checks' tests."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

from dui_conformance.exchanges import Exchange, HttpRequest, HttpResponse
from dui_conformance.psc.oauth import FORM, s256

CLIENT, SECRET = "dui-conformance", "secret-de-test-psc"
CALLBACK, AFTER_LOGOUT = "https://dui.test/psc/retour", "https://dui.test/psc/fin-de-session"
VERIFIER = "verificateur-pkce-de-quarante-trois-caracteres"
REGISTRATION = {
    "client_id": CLIENT,
    "redirect_uris": [CALLBACK],
    "post_logout_redirect_uris": [AFTER_LOGOUT],
    "auth_methods": ["client_secret_basic", "tls_client_auth"],
    "tls_subject": "CN=dui-conformance-client",
}


def basic(client_id: str = CLIENT, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _present(values: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


def _error(status: int, error: str, description: str = "") -> HttpResponse:
    body = json.dumps({"error": error, "error_description": description}, ensure_ascii=False)
    return HttpResponse(status, {"Content-Type": "application/json"}, body)


class Record:
    """A scenario's PSC exchanges, numbered in order; ``error=(status, error, description)`` makes the answer an
    OAuth error, ``data`` adds to what the mock records."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def _add(
        self,
        operation: str,
        request: HttpRequest,
        response: HttpResponse,
        transport: dict | None = None,
        **data,
    ) -> Exchange:
        exchange = Exchange(
            f"psc-{len(self.exchanges) + 1:04d}",
            "psc",
            "2026-12-01T00:00:00Z",
            request,
            operation,
            response=response,
            data=data,
            transport=transport or {},
        )
        self.exchanges.append(exchange)
        return exchange

    def authorize(
        self, code: str = "code-1", registration: dict | None = REGISTRATION, error=None, **params: str | None
    ) -> Exchange:
        """GET /auth with correct parameters (``params`` override; None drops one), answered with ``code``."""
        sent = _present(
            {
                "response_type": "code",
                "client_id": CLIENT,
                "redirect_uri": CALLBACK,
                "scope": "openid scope_all",
                "acr_values": "eidas1",
                "state": "etat-1",
                "nonce": "nonce-1",
                "code_challenge": s256(VERIFIER),
                "code_challenge_method": "S256",
                **params,
            }
        )
        back = f"{sent.get('redirect_uri', '')}?{urlencode({'code': code, 'state': sent.get('state', '')})}"
        response = _error(*error) if error else HttpResponse(302, {"Location": back}, "")
        request = HttpRequest("GET", "/auth?" + urlencode(sent), {"Host": "127.0.0.1"}, "")
        return self._add("authorize", request, response, registration=registration)

    def token(
        self,
        code: str = "code-1",
        authorization: str | None = None,
        method: str = "POST",
        registration: dict | None = REGISTRATION,
        error=None,
        transport: dict | None = None,
        **form: str | None,
    ) -> Exchange:
        """POST /token exchanging ``code`` with client_secret_basic (``authorization`` replaces the header, ""
        drops it); ``form`` overrides the body."""
        body = _present(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": VERIFIER,
                **form,
            }
        )
        headers = {"Content-Type": FORM}
        authorization = basic() if authorization is None else authorization
        if authorization:
            headers["Authorization"] = authorization
        answer = _error(*error) if error else HttpResponse(200, {}, json.dumps({"access_token": "jeton"}))
        request = HttpRequest(method, "/token", headers, urlencode(body))
        return self._add("token", request, answer, transport, registration=registration)

    def refresh(self, error=None, **data) -> Exchange:
        """POST /token with grant_type=refresh_token; ``data`` adds to what the mock records (``refresh_death``)."""
        exchange = self.token(grant_type="refresh_token", code=None, refresh_token="rafraichissement", error=error)
        exchange.data.update(data)
        return exchange

    def userinfo(self, token: str = "jeton", error=None, expired: bool = False) -> Exchange:
        request = HttpRequest("GET", "/userinfo", {"Authorization": f"Bearer {token}"}, "")
        answer = _error(*error) if error else HttpResponse(200, {"Content-Type": "application/jwt"}, "a.b.c")
        return self._add("userinfo", request, answer, **({"expired": True} if expired else {}))

    def logout(
        self,
        hint: str | None = "jeton-d-identite",
        target: str | None = AFTER_LOGOUT,
        registration: dict | None = REGISTRATION,
        error=None,
    ) -> Exchange:
        sent = _present({"id_token_hint": hint, "post_logout_redirect_uri": target, "state": "fin"})
        answer = _error(*error) if error else HttpResponse(302, {"Location": f"{target}?state=fin"}, "")
        return self._add(
            "logout", HttpRequest("GET", "/logout?" + urlencode(sent), {}, ""), answer, registration=registration
        )

    def login(self) -> Record:
        """A conforming authorize request and its code exchange."""
        self.authorize()
        self.token()
        return self
