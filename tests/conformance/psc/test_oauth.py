"""Reading a recorded OAuth request as the PSC provider reads it: query then form parameters, first value wins,
the client's credentials by method, the OAuth error of an answer."""

from __future__ import annotations

import pytest

from dui_conformance.exchanges import Exchange, HttpRequest, HttpResponse
from dui_conformance.psc.oauth import (
    FORM,
    UnreadableCredentials,
    bearer_token,
    client_credentials,
    oauth_error,
    request_params,
    s256,
)

from .conftest import basic


def request(method: str = "POST", path: str = "/token", body: str = "", **headers: str) -> HttpRequest:
    return HttpRequest(method, path, {"Content-Type": FORM + "; charset=UTF-8", **headers}, body)


def exchange(req: HttpRequest, **transport: str) -> Exchange:
    return Exchange("psc-0001", "psc", "2026-12-01T00:00:00Z", req, "token", transport=transport)


def test_parameters_of_the_query_then_of_a_posted_form_first_value_wins():
    posted = request("POST", "/auth?state=a&state=b", "state=c&nonce=n+1&professionnel=ide-martin")
    assert request_params(posted) == {"state": "a", "nonce": "n 1", "professionnel": "ide-martin"}
    assert request_params(request("GET", "/auth?scope=openid", "nonce=n")) == {"scope": "openid"}
    other_body = HttpRequest("POST", "/auth", {"Content-Type": "application/json"}, '{"nonce": "n"}')
    assert request_params(other_body) == {}


@pytest.mark.parametrize(
    ("body", "headers", "transport", "expected"),
    [
        ("", {"Authorization": basic("dui", "s:e")}, {}, ("client_secret_basic", "dui", "s:e")),
        ("client_id=dui&client_secret=s", {}, {}, ("client_secret_post", "dui", "s")),
        ("client_id=dui&client_assertion=a.b.c", {"Authorization": basic()}, {}, ("private_key_jwt", "dui", None)),
        ("client_id=dui", {}, {"client_subject": "CN=dui"}, ("tls_client_auth", "dui", None)),
        ("client_id=dui", {}, {}, ("none", "dui", None)),
    ],
)
def test_client_credentials_by_method(body, headers, transport, expected):
    credentials = client_credentials(exchange(request(body=body, **headers), **transport))
    assert (credentials.method, credentials.client_id, credentials.secret) == expected


def test_garbled_basic_header_is_unreadable():
    with pytest.raises(UnreadableCredentials, match="Basic illisible"):
        client_credentials(exchange(request(Authorization="Basic %%%")))


def test_bearer_token_from_the_header_or_the_form():
    assert bearer_token(request("GET", "/userinfo", authorization="x")) == ""
    assert bearer_token(HttpRequest("GET", "/userinfo", {"authorization": "bearer  jeton "}, "")) == "jeton"
    assert bearer_token(request(body="access_token=jeton")) == "jeton"


def test_oauth_error_of_an_answer():
    assert oauth_error(
        HttpResponse(401, {}, '{"error": "invalid_client", "error_description": "Client inconnu."}')
    ) == (
        "invalid_client",
        "Client inconnu.",
    )
    assert oauth_error(HttpResponse(200, {}, '{"error": "x"}')) is None
    assert oauth_error(HttpResponse(500, {}, "Erreur interne du simulateur.")) is None
    assert oauth_error(None) is None


def test_s256_is_rfc_7636_appendix_b():
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
