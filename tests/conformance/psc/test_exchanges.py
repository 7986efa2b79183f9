"""The PSC request checks on hand-made recorded exchanges: a conforming login passes every check; each deviation
code of the table fails its requirement on the exchange at fault, and the judge reports it as the audit does."""

from __future__ import annotations

import pytest

from dui_conformance import psc
from dui_conformance.deviations import DEVIATIONS
from dui_conformance.model import Outcome

from .conftest import CLIENT, REGISTRATION, Record, basic

PSC_DEVIATIONS = {code: row for code, row in DEVIATIONS.items() if code.startswith("PSC-")}

UNREADABLE = (400, "invalid_request", "Jeton d'accès illisible : jeton illisible (DecodeError).")


def _unknown_client(r: Record) -> None:
    r.authorize(registration=None, error=(400, "invalid_client", "client_id inconnu."))


def _replayed(r: Record) -> None:
    r.login()
    r.token(error=(400, "invalid_grant", "Code d'autorisation déjà utilisé."))


def _expired_twice(r: Record) -> None:
    r.login()
    r.userinfo(error=(401, "invalid_token", "Jeton d'accès expiré."), expired=True)
    r.userinfo(error=(401, "invalid_token", "Jeton d'accès expiré."), expired=True)


DEAD_REFRESH = (400, "invalid_grant", "Jeton de rafraîchissement révoqué.")


def _dead_refresh_twice(r: Record) -> None:
    r.login()
    r.refresh(error=DEAD_REFRESH, refresh_death="revoque")
    r.refresh(error=DEAD_REFRESH, refresh_death="revoque")


# (deviation code, case) -> what the DUI does; the code's failure is expected on the last exchange
DEFECTIVE = {
    ("PSC-CLIENT-INCONNU", "client inconnu"): _unknown_client,
    ("PSC-RESPONSE-TYPE", "implicite"): lambda r: r.authorize(response_type="id_token"),
    ("PSC-SCOPE", "openid seul"): lambda r: r.authorize(scope="openid"),
    ("PSC-ACR-VALUES", "sans acr_values"): lambda r: r.authorize(acr_values=None),
    ("PSC-STATE-ABSENT", "sans state"): lambda r: r.authorize(state=None),
    ("PSC-NONCE-ABSENT", "sans nonce"): lambda r: r.authorize(nonce=None),
    ("PSC-PKCE", "sans code_challenge"): lambda r: r.authorize(code_challenge=None),
    ("PSC-PKCE", "méthode plain"): lambda r: r.authorize(code_challenge_method="plain"),
    ("PSC-PKCE", "mauvais code_verifier"): lambda r: (r.authorize(), r.token(code_verifier="autre")),
    ("PSC-PKCE", "sans code_verifier"): lambda r: (r.authorize(), r.token(code_verifier=None)),
    ("PSC-REDIRECT-ABSENT", "sans redirect_uri"): lambda r: r.authorize(
        redirect_uri=None, error=(400, "invalid_request", "redirect_uri absent ou non absolu.")
    ),
    ("PSC-REDIRECT-NON-ENREGISTRE", "autre adresse"): lambda r: r.authorize(redirect_uri="https://autre.test/retour"),
    ("PSC-REDIRECT-DIFFERENT", "autre au point de jeton"): lambda r: (
        r.authorize(),
        r.token(redirect_uri="https://dui.test/autre"),
    ),
    ("PSC-METHODE-HTTP", "GET"): lambda r: r.token(method="GET", error=(405, "invalid_request", "POST attendu.")),
    ("PSC-AUTH-CLIENT", "client_secret_post"): lambda r: (
        r.authorize(),
        r.token(authorization="", client_id=CLIENT, client_secret="secret-de-test-psc"),
    ),
    ("PSC-AUTH-CLIENT", "secret erroné"): lambda r: r.token(
        authorization=basic(secret="mauvais"), error=(401, "invalid_client", "Authentification du client refusée.")
    ),
    ("PSC-AUTH-CLIENT", "client inconnu"): lambda r: r.token(
        authorization=basic("inconnu"), registration=None, error=(401, "invalid_client", "Client inconnu.")
    ),
    ("PSC-AUTH-CLIENT", "Basic illisible"): lambda r: r.token(
        authorization="Basic !!!", registration=None, error=(401, "invalid_client", "illisible")
    ),
    ("PSC-AUTH-CLIENT", "client_assertion illisible"): lambda r: r.token(
        authorization="",
        client_id=CLIENT,
        client_assertion="abc",
        registration=None,
        error=(400, "invalid_request", "client_assertion illisible : jeton illisible (DecodeError)."),
    ),
    ("PSC-AUTH-CLIENT", "sans authentification"): lambda r: r.token(
        authorization="", client_id=CLIENT, error=(401, "invalid_client", "Méthode none non prise en charge.")
    ),
    ("PSC-AUTH-CLIENT", "certificat d'un autre"): lambda r: r.token(
        authorization="",
        client_id=CLIENT,
        transport={"client_subject": "CN=autre"},
        error=(401, "invalid_client", "Certificat client non reconnu."),
    ),
    ("PSC-CODE-INCONNU", "code inconnu"): lambda r: (
        r.authorize(),
        r.token(code="inconnu", error=(400, "invalid_grant", "Code d'autorisation inconnu.")),
    ),
    ("PSC-CODE-INCONNU", "code d'un autre client"): lambda r: (
        r.authorize(client_id="autre-client"),
        r.token(error=(400, "invalid_grant", "Code d'autorisation inconnu.")),
    ),
    ("PSC-CODE-REJOUE", "présenté deux fois"): _replayed,
    ("PSC-JETON-MALFORME", "jeton illisible"): lambda r: r.userinfo("x.y", error=UNREADABLE),
    ("PSC-DECONNEXION-SANS-HINT", "sans id_token_hint"): lambda r: r.logout(hint=None),
    ("PSC-DECONNEXION-HINT-ILLISIBLE", "id_token_hint illisible"): lambda r: r.logout(
        hint="abc", error=(400, "invalid_request", "id_token_hint illisible : jeton illisible (DecodeError).")
    ),
    ("PSC-POST-LOGOUT-NON-ENREGISTRE", "autre adresse"): lambda r: r.logout(target="https://autre.test/fin"),
    ("PSC-POST-LOGOUT-NON-ENREGISTRE", "client inconnu"): lambda r: r.logout(registration=None),
    ("PSC-REFRESH-INCONNU", "jeton de rafraîchissement révoqué"): lambda r: r.refresh(
        error=(400, "invalid_grant", "Jeton de rafraîchissement inconnu ou révoqué.")
    ),
    ("PSC-JETON-INACTIF", "jeton révoqué"): lambda r: r.userinfo(
        error=(401, "invalid_token", "Jeton d'accès révoqué ou inconnu.")
    ),
    ("PSC-JETON-EXPIRE", "présenté après l'expiration"): _expired_twice,
    ("PSC-REFRESH-MORT-REPRESENTE", "présenté après son refus"): _dead_refresh_twice,
}


def test_every_deviation_code_has_a_defective_case():
    assert {code for code, _ in DEFECTIVE} == set(PSC_DEVIATIONS)


def test_every_deviation_code_names_a_psc_requirement_and_a_label():
    for code, (requirement, label) in PSC_DEVIATIONS.items():
        assert code.startswith("PSC-") and requirement.startswith("PSC-") and label, code


def test_a_conforming_login_passes_every_check():
    record = Record().login()
    record.userinfo()
    record.refresh()
    record.userinfo(error=(401, "invalid_token", "Jeton d'accès expiré."), expired=True)
    record.logout()
    findings = psc.check_exchanges(record.exchanges)
    assert {f.outcome for f in findings} == {Outcome.PASS}
    assert {f.requirement for f in findings} == {f"PSC-0{n}" for n in (1, 2, 4, 5, 6, 7, 8)} | {
        "PSC-19",
        "PSC-22",
        "PSC-23",
    }
    assert psc.judge_exchanges(record.exchanges) == []


def test_a_dead_refresh_token_presented_once_is_how_the_dui_learns_of_its_death():
    record = Record().login()
    record.refresh(error=DEAD_REFRESH, refresh_death="expire")
    assert psc.judge_exchanges(record.exchanges) == []
    assert {(f.requirement, f.outcome) for f in psc.check_token_lifecycle(record.exchanges)} == {
        ("PSC-27", Outcome.PASS)
    }


def test_tokens_of_a_session_an_earlier_scenario_left_are_not_this_scenarios_deviations():
    """The mock refuses a token issued before its reset (``data["earlier"]``): PSC-22 judges the leftover session."""
    record = Record().login()
    record.userinfo(error=(401, "invalid_token", "Jeton émis avant la remise à zéro.")).data["earlier"] = True
    record.refresh(error=(400, "invalid_grant", "Jeton émis avant la remise à zéro."), earlier=True)
    assert psc.judge_exchanges(record.exchanges) == []
    record.refresh(error=(400, "invalid_grant", "Jeton de rafraîchissement inconnu ou révoqué."))
    assert [f.evidence for f in psc.judge_exchanges(record.exchanges)] == ["PSC-REFRESH-INCONNU"]


def test_mtls_at_the_token_endpoint_passes():
    record = Record()
    record.authorize()
    record.token(authorization="", client_id=CLIENT, transport={"client_subject": "CN=dui-conformance-client,O=Test"})
    assert psc.judge_exchanges(record.exchanges) == []
    assert psc.check_client_authentication(record.exchanges[-1])[0].outcome is Outcome.PASS


def test_introspection_refused_without_post_is_not_judged():
    record = Record()
    introspect = record.token(method="GET", error=(405, "invalid_request", "POST attendu."))
    introspect.operation = "introspect"
    assert psc.check_client_authentication(introspect) == []


@pytest.mark.parametrize("case", list(DEFECTIVE), ids=lambda c: f"{c[0]} ({c[1]})")
def test_each_deviation_fails_its_requirement_on_the_exchange_at_fault(case):
    code, _ = case
    requirement = DEVIATIONS[code][0]
    record = Record()
    DEFECTIVE[case](record)
    at_fault = record.exchanges[-1].id
    failures = [f for f in psc.check_exchanges(record.exchanges) if f.outcome is Outcome.FAIL]
    assert [(f.requirement, f.evidence, f.location.exchange) for f in failures] == [(requirement, code, at_fault)]
    (judged,) = psc.judge_exchanges(record.exchanges)
    assert (judged.requirement, judged.outcome, judged.evidence, judged.location.exchange) == (
        requirement,
        Outcome.FAIL,
        code,
        at_fault,
    )
    assert judged.message == f"{code} : {failures[0].message}"


def test_messages_say_what_was_found_and_what_was_expected():
    record = Record()
    record.authorize(scope="openid", redirect_uri="https://autre.test/retour")
    assert [f.message for f in psc.judge_exchanges(record.exchanges)] == [
        "PSC-SCOPE : scope « openid » : « openid scope_all » attendu.",
        "PSC-REDIRECT-NON-ENREGISTRE : redirect_uri « https://autre.test/retour » non enregistré pour ce client "
        f"(enregistrés : {REGISTRATION['redirect_uris'][0]}).",
    ]


def test_a_request_the_provider_stopped_reading_is_judged_no_further():
    """An unknown client: the rest of the request (no state, no nonce) was never read, as by the provider."""
    record = Record()
    record.authorize(registration=None, state=None, nonce=None, error=(400, "invalid_client", "client_id inconnu."))
    assert [f.evidence for f in psc.judge_exchanges(record.exchanges)] == ["PSC-CLIENT-INCONNU"]


def test_findings_follow_the_exchanges_and_the_provider_reading_order():
    """Client authentication before the code, exchange after exchange."""
    record = Record()
    record.authorize(state=None)
    record.token(authorization="", client_id=CLIENT, client_secret="secret-de-test-psc", code_verifier="autre")
    assert [f.evidence for f in psc.judge_exchanges(record.exchanges)] == [
        "PSC-STATE-ABSENT",
        "PSC-AUTH-CLIENT",
        "PSC-PKCE",
    ]


def test_an_expired_token_presented_once_is_how_the_dui_learns_it():
    record = Record()
    record.userinfo("a", error=(401, "invalid_token", "Jeton d'accès expiré."), expired=True)
    record.userinfo("b", error=(401, "invalid_token", "Jeton d'accès expiré."), expired=True)
    assert psc.judge_exchanges(record.exchanges) == []
    assert {f.outcome for f in psc.check_token_lifecycle(record.exchanges)} == {Outcome.PASS}
