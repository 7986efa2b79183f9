"""The Pro Santé Connect mock: a standard OIDC client logs in over HTTPS, deviant requests are answered and
recorded so that the library's judge finds them, every planned bad token really is bad, malformed tokens get
an OAuth 400, never a crash."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from dui_conformance.live.mss_auth import TOKEN_EXPIRED, TOKEN_REVOKED, TOKEN_UNKNOWN, TOKEN_VALID
from dui_conformance.mocks.common import TestPki
from dui_conformance.mocks.psc import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    ID_TOKEN_DEFECTS,
    REFRESH_DEATHS,
    USERINFO_DEFECTS,
    PscMock,
)
from dui_conformance.psc import judge_exchanges
from dui_conformance.psc.oauth import s256
from dui_conformance.psc.professionals import professional

pytestmark = pytest.mark.live
CALLBACK = "https://127.0.0.1:9/callback"
AFTER_LOGOUT = "https://127.0.0.1:9/logout_response"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return TestPki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def psc_server(pki):
    with PscMock(ssl_context=pki.server_context()) as mock:
        mock.register_client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, [CALLBACK], [AFTER_LOGOUT])
        yield mock


@pytest.fixture
def psc(psc_server):
    psc_server.reset()
    yield psc_server


@pytest.fixture
def http(pki):
    with requests.Session() as s:
        s.verify = str(pki.root_cert)
        s.trust_env = False
        yield s


def authorize(psc, http, **overrides) -> tuple[dict, dict]:
    """Authorize request with correct parameters (overridable; None drops one); returns (callback query, sent)."""
    verifier = generate_token(48)
    params = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "openid scope_all",
        "acr_values": "eidas1",
        "state": generate_token(16),
        "nonce": generate_token(16),
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    r = http.get(psc.discovery()["authorization_endpoint"], params=params, allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}
    return query, {**params, "code_verifier": verifier}


def exchange_code(psc, http, code: str, verifier: str | None, auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    if verifier:
        data["code_verifier"] = verifier
    return http.post(psc.discovery()["token_endpoint"], data=data, auth=auth, timeout=10)


def codes(psc) -> list[str]:
    """The deviation codes the library's judge finds on the last exchange, judging every exchange recorded."""
    exchanges = psc.recorder.exchanges()
    return [f.evidence for f in judge_exchanges(exchanges) if f.location.exchange == exchanges[-1].id]


def validate_id_token(psc, http, token: str, nonce: str) -> dict:
    """What a correct relying party checks (OIDC Core §3.1.3.7), with joserfc."""
    jwks = KeySet.import_key_set(http.get(psc.discovery()["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token, jwks, algorithms=["RS256"]).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": psc.issuer},
        aud={"essential": True, "value": DEFAULT_CLIENT_ID},
        nonce={"essential": True, "value": nonce},
        acr={"essential": True, "value": "eidas1"},
        exp={"essential": True},
        iat={"essential": True},
    ).validate(claims)
    if claims["iat"] > time.time() + 60:
        raise JoseError("iat dans le futur")
    return claims


def test_discovery_on_the_psc_and_the_standard_paths(psc, http):
    wallet = http.get(psc.discovery_url, timeout=10).json()
    standard = http.get(psc.issuer + "/.well-known/openid-configuration", timeout=10).json()
    assert wallet == standard
    assert wallet["issuer"].endswith("/auth/realms/esante-wallet")
    assert wallet["token_endpoint"].endswith("/auth/realms/esante-wallet/protocol/openid-connect/token")
    assert wallet["introspection_endpoint"].endswith("/protocol/openid-connect/token/introspect")
    assert "eidas1" in wallet["acr_values_supported"]


def test_standard_oidc_client_completes_the_login(psc, http, pki):
    psc.plan_login("ide-martin", "CPS")
    meta = http.get(psc.discovery_url, timeout=10).json()
    client = OAuth2Session(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        scope="openid scope_all",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )
    client.verify = str(pki.root_cert)
    client.trust_env = False
    verifier, nonce = generate_token(48), generate_token(16)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce, acr_values="eidas1"
    )
    callback = http.get(url, allow_redirects=False, timeout=10).headers["Location"]
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = validate_id_token(psc, http, token["id_token"], nonce)
    userinfo = client.get(meta["userinfo_endpoint"], timeout=10)
    assert userinfo.headers["Content-Type"].startswith("application/jwt")
    info = jwt.decode(userinfo.text, KeySet.import_key_set(http.get(meta["jwks_uri"]).json())).claims
    assert info["sub"] == claims["sub"]
    assert info["SubjectNameID"] == professional("ide-martin").id_national
    assert info["SubjectRefPro"]["exercices"][0]["activities"][0]["codeSecteurDactivite"] == "SA17"
    ops = [e.operation for e in psc.recorder.exchanges() if e.operation not in ("discovery", "jwks")]
    assert ops == ["authorize", "token", "userinfo"]
    assert not judge_exchanges(psc.recorder.exchanges())


def test_deviant_authorize_is_answered_and_recorded(psc, http):
    psc.plan_login("medecin-durand")
    query, _ = authorize(
        psc,
        http,
        state=None,
        nonce=None,
        code_challenge=None,
        code_challenge_method=None,
        acr_values=None,
        scope="openid",
        redirect_uri="https://127.0.0.1:9/ailleurs",
    )
    assert "code" in query and "state" not in query
    assert set(codes(psc)) == {
        "PSC-STATE-ABSENT",
        "PSC-NONCE-ABSENT",
        "PSC-PKCE",
        "PSC-ACR-VALUES",
        "PSC-SCOPE",
        "PSC-REDIRECT-NON-ENREGISTRE",
    }


def test_client_authentication_and_code_replay(psc, http, pki):
    psc.plan_login("ide-martin")
    query, sent = authorize(psc, http)
    token_url = psc.discovery()["token_endpoint"]
    post = http.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": sent["code_verifier"],
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )
    assert post.status_code == 200 and "PSC-AUTH-CLIENT" in codes(psc)
    replay = exchange_code(psc, http, query["code"], sent["code_verifier"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert "PSC-CODE-REJOUE" in codes(psc)
    wrong = exchange_code(psc, http, "inconnu", None, auth=(DEFAULT_CLIENT_ID, "mauvais"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    # mTLS at the token endpoint, as ANS's proof of concept does: accepted, no deviation
    psc.plan_login("ide-martin")
    query, sent = authorize(psc, http)
    mtls = http.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": sent["code_verifier"],
            "client_id": DEFAULT_CLIENT_ID,
        },
        cert=(str(pki.client_cert), str(pki.client_key)),
    )
    assert mtls.status_code == 200, mtls.text
    last = psc.recorder.exchanges()[-1]
    assert last.data["client_auth"] == "tls_client_auth" and not codes(psc)


@pytest.mark.parametrize("defect", sorted(ID_TOKEN_DEFECTS))
def test_every_bad_token_defect_fails_a_correct_validation(psc, http, defect):
    psc.plan_login("ide-martin", defect=defect)
    query, sent = authorize(psc, http)
    body = exchange_code(psc, http, query["code"], sent["code_verifier"]).json()
    with pytest.raises(JoseError):
        validate_id_token(psc, http, body["id_token"], sent["nonce"])
    assert psc.recorder.exchanges()[-1].data.get("id_token_defect") in (defect, None)


@pytest.mark.parametrize("defect", sorted(USERINFO_DEFECTS))
def test_every_bad_userinfo_defect_comes_with_a_sound_id_token(psc, http, defect):
    """The ID token validates; the userinfo response describes another sub, or its signature does not verify."""
    psc.plan_login("ide-martin", defect=defect)
    query, sent = authorize(psc, http)
    body = exchange_code(psc, http, query["code"], sent["code_verifier"]).json()
    claims = validate_id_token(psc, http, body["id_token"], sent["nonce"])
    info = http.get(
        psc.discovery()["userinfo_endpoint"], headers={"Authorization": "Bearer " + body["access_token"]}, timeout=10
    )
    assert info.status_code == 200
    if defect == "sub-userinfo-different":
        assert jwt.decode(info.text, psc.keys.keyset()).claims["sub"] != claims["sub"]
    else:
        with pytest.raises(JoseError):
            jwt.decode(info.text, psc.keys.keyset())


def test_state_mismatch_on_the_callback(psc, http):
    psc.plan_login("ide-martin", defect="etat-different")
    query, sent = authorize(psc, http)
    assert query["state"] != sent["state"]


def test_key_rotation_publishes_the_new_kid_and_signs_with_it(psc, http):
    old = http.get(psc.discovery()["jwks_uri"]).json()["keys"]
    kid = psc.rotate_keys()
    new = http.get(psc.discovery()["jwks_uri"]).json()["keys"]
    assert {k["kid"] for k in new} == {k["kid"] for k in old} | {kid}
    psc.plan_login("kine-petit")
    query, sent = authorize(psc, http)
    body = exchange_code(psc, http, query["code"], sent["code_verifier"]).json()
    assert jwt.decode(body["id_token"], KeySet.import_key_set({"keys": new})).header["kid"] == kid
    validate_id_token(psc, http, body["id_token"], sent["nonce"])


def test_expired_access_token_then_refresh(psc, http):
    psc.plan_login("ide-martin")
    query, sent = authorize(psc, http)
    body = exchange_code(psc, http, query["code"], sent["code_verifier"]).json()
    userinfo = psc.discovery()["userinfo_endpoint"]
    psc.expire_access_tokens()
    expired = http.get(userinfo, headers={"Authorization": "Bearer " + body["access_token"]})
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"
    assert not codes(psc)  # how a relying party learns of the expiry: no deviation
    again = http.get(userinfo, headers={"Authorization": "Bearer " + body["access_token"]})
    assert again.status_code == 401 and codes(psc) == ["PSC-JETON-EXPIRE"]
    refreshed = http.post(
        psc.discovery()["token_endpoint"],
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
    ).json()
    assert http.get(userinfo, headers={"Authorization": "Bearer " + refreshed["access_token"]}).status_code == 200
    introspect = http.post(
        psc.discovery()["introspection_endpoint"],
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        data={"token": refreshed["access_token"]},
    ).json()
    assert introspect["active"] and introspect["SubjectNameID"] == professional("ide-martin").id_national


def test_eidas2_login_carries_the_card_auth_mode_and_is_recorded(psc, http):
    """ansforge/keycloak-prosanteconnect#43: acr « eidas2 » with authMode « CARD », though eidas1 was asked for."""
    psc.plan_login("ide-martin", "CPS", acr="eidas2")
    query, sent = authorize(psc, http)
    assert psc.recorder.exchanges()[-1].data["niveau"] == "eidas2"
    body = exchange_code(psc, http, query["code"], sent["code_verifier"]).json()
    for token in (body["id_token"], body["access_token"]):
        claims = jwt.decode(token, psc.keys.keyset()).claims
        assert (claims["acr"], claims["authMode"]) == ("eidas2", "CARD")
    assert psc.recorder.exchanges()[-1].data["acr"] == "eidas2"
    with pytest.raises(JoseError):  # a relying party that accepts eidas1 only
        validate_id_token(psc, http, body["id_token"], sent["nonce"])
    with pytest.raises(ValueError, match="Niveau eIDAS inconnu"):
        psc.plan_login("ide-martin", acr="eidas9")


@pytest.mark.parametrize("how", sorted(REFRESH_DEATHS))
def test_a_dead_refresh_token_is_refused_and_recorded(psc, http, how):
    psc.plan_login("ide-martin")
    query, sent = authorize(psc, http)
    body = exchange_code(psc, http, query["code"], sent["code_verifier"]).json()
    assert psc.kill_refresh_tokens(how) == 1
    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    token, credentials = psc.discovery()["token_endpoint"], (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    refused = http.post(token, auth=credentials, data=refresh)
    assert refused.status_code == 400 and refused.json()["error_description"] == REFRESH_DEATHS[how]
    assert psc.recorder.exchanges()[-1].data["refresh_death"] == how
    assert not codes(psc)  # how a relying party learns of the death: no deviation
    assert http.post(token, auth=credentials, data=refresh).json()["error"] == "invalid_grant"
    assert codes(psc) == ["PSC-REFRESH-MORT-REPRESENTE"]
    introspected = http.post(
        psc.discovery()["introspection_endpoint"], auth=credentials, data={"token": body["refresh_token"]}
    ).json()
    assert introspected["active"] is False
    with pytest.raises(ValueError, match="inconnue"):
        psc.kill_refresh_tokens("oublie")


def test_tokens_issued_before_the_reset_are_refused_as_an_earlier_scenarios(psc, http):
    """A session an earlier scenario left in the DUI presents its tokens: refused like an ended session's, recorded
    as such (``data["earlier"]``), not as an unknown token."""
    psc.plan_login("ide-martin")
    query, sent = authorize(psc, http)
    body = exchange_code(psc, http, query["code"], sent["code_verifier"]).json()
    psc.reset()
    userinfo = http.get(
        psc.discovery()["userinfo_endpoint"], headers={"Authorization": "Bearer " + body["access_token"]}
    )
    assert userinfo.status_code == 401 and userinfo.json()["error"] == "invalid_token"
    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    refused = http.post(
        psc.discovery()["token_endpoint"], auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), data=refresh
    )
    assert refused.json()["error"] == "invalid_grant"
    assert [e.data.get("earlier") for e in psc.recorder.exchanges()[-2:]] == [True, True]
    assert not codes(psc)


def test_logout_ends_the_session_and_redirects(psc, http):
    psc.plan_login("ide-martin")
    query, sent = authorize(psc, http)
    body = exchange_code(psc, http, query["code"], sent["code_verifier"]).json()
    r = http.get(
        psc.discovery()["end_session_endpoint"],
        allow_redirects=False,
        params={"id_token_hint": body["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT, "state": "x"},
    )
    assert r.status_code == 302 and r.headers["Location"] == AFTER_LOGOUT + "?state=x"
    assert not codes(psc)
    gone = http.get(psc.discovery()["userinfo_endpoint"], headers={"Authorization": "Bearer " + body["access_token"]})
    assert gone.status_code == 401


def test_login_page_without_a_planned_login(psc, http):
    """Attended mode: the tester picks the professional on the mock's page."""
    r = http.get(
        psc.discovery()["authorization_endpoint"],
        timeout=10,
        params={
            "client_id": DEFAULT_CLIENT_ID,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "state": "s",
            "nonce": "n",
        },
    )
    assert r.status_code == 200 and "DURAND" in r.text and "<script" not in r.text
    posted = http.post(
        psc.discovery()["authorization_endpoint"],
        allow_redirects=False,
        timeout=10,
        data={
            "client_id": DEFAULT_CLIENT_ID,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "state": "s",
            "nonce": "n",
            "professionnel": "medecin-durand",
            "moyen": "CPS",
            "niveau": "eidas2",
        },
    )
    assert posted.status_code == 302 and 'name="niveau"' in r.text
    assert psc.recorder.exchanges()[-1].data["professionnel"] == "medecin-durand"
    assert psc.recorder.exchanges()[-1].data["niveau"] == "eidas2"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


MALFORMED = {
    "tronque": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0",
    "base64-invalide": "eyJhbGc!!!.e30.abc",
    "entete-1-mo": _b64(b'{"alg":"RS256","x":"' + b"A" * (1024 * 1024) + b'"}') + ".e30.c2ln",
    "json-invalide": _b64(b'{"alg": RS256') + "." + _b64(b"[1,2") + ".c2ln",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_tokens_get_an_oauth_400(psc, http, name):
    token, urls = MALFORMED[name], psc.discovery()
    answers = [
        http.post(urls["userinfo_endpoint"], data={"access_token": token}),
        http.post(
            urls["introspection_endpoint"], auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), data={"token": token}
        ),
        http.post(
            urls["end_session_endpoint"], data={"id_token_hint": token, "post_logout_redirect_uri": AFTER_LOGOUT}
        ),
        http.post(
            urls["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": "x",
                "client_id": DEFAULT_CLIENT_ID,
                "client_assertion": token,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            },
        ),
    ]
    for r in answers:
        assert r.status_code == 400 and r.json()["error"] == "invalid_request", (r.url, r.text[:200])
    assert all("harness_error" not in e.data for e in psc.recorder.exchanges())


def test_token_status_is_what_the_provider_holds_of_an_access_token(psc, http):
    """Read by the MSSanté operator mock (SC.MSS/CONF.07, CONF.10): valid, expired, revoked once refreshed."""
    psc.plan_login("ide-martin")
    query, sent = authorize(psc, http)
    body = exchange_code(psc, http, query["code"], sent["code_verifier"]).json()
    jti = psc.keys.verify(body["access_token"])["jti"]
    assert psc.token_status(jti) == TOKEN_VALID and psc.token_status("inconnu") == TOKEN_UNKNOWN
    psc.expire_access_tokens()
    assert psc.token_status(jti) == TOKEN_EXPIRED
    http.post(
        psc.discovery()["token_endpoint"],
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
    )
    assert psc.token_status(jti) == TOKEN_REVOKED
