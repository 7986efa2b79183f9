"""The pure PSC checks on hand-made records: each one passes on a conformant record and fails, with its
requirement id, on a defective one (the reference DUI has no defect for some of them)."""

from __future__ import annotations

import pytest

from dui_conformance import psc
from dui_conformance.exchanges import Exchange, HttpRequest, HttpResponse
from dui_conformance.model import Outcome

from .conftest import CALLBACK, CLIENT, Record

PRO = psc.ExpectedProfessional("ide-martin", "810999000010", "60", ("SA17",), ("999000011",), "Claire MARTIN")
SESSION = {"idNational": "810999000010", "profession": "60", "secteurActivite": "SA17", "finess": "999000011"}


def ex(n: int, operation: str, status: int = 200, **data) -> Exchange:
    return Exchange(
        f"psc-{n:04d}",
        "psc",
        "2026-12-01T00:00:00Z",
        HttpRequest("GET", "/", {}, ""),
        operation,
        response=HttpResponse(status, {}, ""),
        data={"login": 1, **data},
    )


def outcomes(findings) -> set[tuple[str, Outcome]]:
    return {(f.requirement, f.outcome) for f in findings}


def login(defect=None, sessions=(), extra=(), **kw) -> psc.LoginRun:
    exchanges = [ex(1, "authorize"), ex(2, "token", kid="k2"), *extra]
    return psc.LoginRun(PRO, defect, exchanges, list(sessions), 0.1, **kw)


# requirement -> a login whose requests break it (tests/live_psc/test_psc_exchanges.py: every deviation code)
DEVIANT_LOGINS = {
    "PSC-01": lambda r: (r.authorize(acr_values=None), r.token()),
    "PSC-02": lambda r: (r.authorize(state=None), r.token()),
    "PSC-04": lambda r: (r.authorize(nonce=None), r.token()),
    "PSC-05": lambda r: (r.authorize(), r.token(code_verifier="autre")),
    "PSC-06": lambda r: (r.authorize(redirect_uri="https://autre.test/retour"), r.token()),
    "PSC-07": lambda r: (
        r.authorize(),
        r.token(authorization="", client_id=CLIENT, client_secret="secret-de-test-psc"),
    ),
    "PSC-08": lambda r: (r.login(), r.token(error=(400, "invalid_grant", "Code d'autorisation déjà utilisé."))),
}


@pytest.mark.parametrize("requirement", sorted(psc.RECORDED))
def test_recorded_deviation_fails_its_requirement(requirement):
    clean = psc.LoginRun(PRO, None, Record().login().exchanges, [SESSION])
    deviant = Record()
    DEVIANT_LOGINS[requirement](deviant)
    flagged = psc.LoginRun(PRO, None, deviant.exchanges, [SESSION])
    assert outcomes(psc.check_recorded(clean, requirement)) == {(requirement, Outcome.PASS)}
    assert outcomes(psc.check_recorded(flagged, requirement)) == {(requirement, Outcome.FAIL)}
    assert outcomes(psc.check_recorded(psc.LoginRun(PRO, None, [], []), requirement)) == {(requirement, Outcome.SKIP)}


@pytest.mark.parametrize("defect", sorted(set(psc.DEFECT_REQUIREMENTS) - {"etat-different"}))
def test_bad_token_accepted_fails_refused_passes(defect):
    requirement = psc.DEFECT_REQUIREMENTS[defect]
    assert outcomes(psc.check_refused(login(defect))) == {(requirement, Outcome.PASS)}
    assert outcomes(psc.check_refused(login(defect, [SESSION]))) == {(requirement, Outcome.FAIL)}
    went_on = login(defect, extra=[ex(3, "userinfo")])
    expected = Outcome.PASS if defect in psc.USERINFO_DEFECTS else Outcome.FAIL
    assert outcomes(psc.check_refused(went_on)) == {(requirement, expected)}
    undelivered = psc.LoginRun(PRO, defect, [ex(1, "authorize"), ex(2, "token", status=400)], [])
    assert outcomes(psc.check_refused(undelivered)) == {(requirement, Outcome.SKIP)}


def test_state_mismatch_must_stop_before_the_token_endpoint():
    stopped = psc.LoginRun(PRO, "etat-different", [ex(1, "authorize")], [])
    assert outcomes(psc.check_refused(stopped)) == {("PSC-03", Outcome.PASS)}
    assert outcomes(psc.check_refused(login("etat-different"))) == {("PSC-03", Outcome.FAIL)}


def test_session_of_another_profession_or_structure_fails():
    assert outcomes(psc.check_session(login(sessions=[SESSION]))) == {("PSC-21", Outcome.PASS)}
    for wrong in ({"profession": "10"}, {"secteurActivite": "SA01"}, {"finess": "999999999"}):
        assert outcomes(psc.check_session(login(sessions=[{**SESSION, **wrong}]))) == {("PSC-21", Outcome.FAIL)}
    other = {**SESSION, "idNational": "810999000028"}
    assert outcomes(psc.check_session(login(sessions=[other]))) == {("PSC-21", Outcome.FAIL)}


def test_rotation():
    assert outcomes(psc.check_rotation(login(sessions=[SESSION], rotated_kid="k2"))) == {("PSC-20", Outcome.PASS)}
    assert outcomes(psc.check_rotation(login(rotated_kid="k2"))) == {("PSC-20", Outcome.FAIL)}
    assert outcomes(psc.check_rotation(login(rotated_kid="k3"))) == {("PSC-20", Outcome.SKIP)}


def test_logout():
    before = login(sessions=[SESSION])
    good = psc.FollowUpRun(before, [Record().logout()], [])
    kept = psc.FollowUpRun(before, [Record().logout()], [SESSION])
    no_hint = psc.FollowUpRun(before, [Record().logout(hint=None)], [])
    local_only = psc.FollowUpRun(before, [], [])
    assert outcomes(psc.check_logout(good)) == {("PSC-22", Outcome.PASS)}
    for run in (kept, no_hint, local_only):
        assert outcomes(psc.check_logout(run)) == {("PSC-22", Outcome.FAIL)}
    assert outcomes(psc.check_logout(psc.FollowUpRun(login(), [], []))) == {("PSC-22", Outcome.SKIP)}


def test_expired_access_token():
    before = login(sessions=[SESSION])
    rejected = ex(5, "userinfo", status=401, expired=True)
    refreshed = psc.FollowUpRun(before, [rejected, ex(6, "token", grant_type="refresh_token")], [SESSION])
    closed = psc.FollowUpRun(before, [rejected], [])
    kept = psc.FollowUpRun(before, [rejected], [SESSION])
    silent = psc.FollowUpRun(before, [], [SESSION])
    assert outcomes(psc.check_expired_access(refreshed)) == {("PSC-23", Outcome.PASS)}
    assert outcomes(psc.check_expired_access(closed)) == {("PSC-23", Outcome.PASS)}
    assert outcomes(psc.check_expired_access(kept)) == {("PSC-23", Outcome.FAIL)}
    assert outcomes(psc.check_expired_access(silent)) == {("PSC-23", Outcome.SKIP)}


def test_a_level_above_eidas1_must_open_the_session():
    def at(level, sessions=()):
        return psc.LoginRun(PRO, None, [ex(1, "authorize"), ex(2, "token", acr=level)], list(sessions))

    assert outcomes(psc.check_higher_acr(at("eidas2", [SESSION]))) == {("PSC-26", Outcome.PASS)}
    assert outcomes(psc.check_higher_acr(at("eidas2"))) == {("PSC-26", Outcome.FAIL)}
    assert outcomes(psc.check_higher_acr(at("eidas1", [SESSION]))) == {("PSC-26", Outcome.SKIP)}
    assert outcomes(psc.check_higher_acr(at(None))) == {("PSC-26", Outcome.SKIP)}  # acr-insuffisant is PSC-18's


def test_a_dead_refresh_token_must_end_the_session():
    before = login(sessions=[SESSION])
    expired = ex(5, "userinfo", status=401, expired=True)
    refused = ex(6, "token", status=400, grant_type="refresh_token", refresh_death="revoque")
    closed = psc.FollowUpRun(before, [expired, refused], [])
    kept = psc.FollowUpRun(before, [expired, refused], [SESSION])
    never_tried = psc.FollowUpRun(before, [expired], [SESSION])
    assert outcomes(psc.check_refresh_death(closed)) == {("PSC-27", Outcome.PASS)}
    assert outcomes(psc.check_refresh_death(kept)) == {("PSC-27", Outcome.FAIL)}
    assert "revoque" in psc.check_refresh_death(kept)[0].message
    assert outcomes(psc.check_refresh_death(never_tried)) == {("PSC-27", Outcome.SKIP)}
    assert outcomes(psc.check_refresh_death(psc.FollowUpRun(login(), [refused], []))) == {("PSC-27", Outcome.SKIP)}


def test_vihf_identity():
    right = {"NameID": "810999000010", "role": "60", "Secteur_Activite": "SA17^1.2.250.1.71.4.2.4"}
    fixed = {"NameID": "801234567897", "role": "10", "Secteur_Activite": "SA17^1.2.250.1.71.4.2.4"}
    assert outcomes(psc.check_vihf_professional(login(), [("dmp-0001", right)])) == {("PSC-24", Outcome.PASS)}
    assert outcomes(psc.check_vihf_professional(login(), [("dmp-0001", fixed)])) == {("PSC-24", Outcome.FAIL)}
    assert outcomes(psc.check_vihf_professional(login(), [])) == {("PSC-24", Outcome.SKIP)}


def test_every_check_is_undecided_when_psc_is_not_configured():
    off = psc.LoginRun(PRO, "expire", [], [], unavailable="Connexion Pro Santé Connect non configurée.")
    follow = psc.FollowUpRun(off, [], [])
    findings = (
        psc.check_session(off)
        + psc.check_refused(off)
        + psc.check_rotation(off)
        + psc.check_logout(follow)
        + psc.check_expired_access(follow)
        + psc.check_higher_acr(off)
        + psc.check_refresh_death(follow)
        + psc.check_vihf_professional(off, [])
        + [f for i in psc.RECORDED for f in psc.check_recorded(off, i)]
    )
    assert {f.outcome for f in findings} == {Outcome.SKIP}
    assert all(f.message == off.unavailable for f in findings)


def test_failures_keep_the_report_wording():
    record = Record()
    record.authorize(state=None)
    no_state = psc.LoginRun(PRO, None, record.exchanges, [SESSION])
    assert [f.message for f in psc.check_recorded(no_state, "PSC-02")] == [
        "« state » de la demande d'autorisation : Demande d'autorisation sans « state »."
    ]
    no_hint = psc.FollowUpRun(login(sessions=[SESSION]), [Record().logout(hint=None)], [])
    assert [f.message for f in psc.check_logout(no_hint)] == ["Déconnexion : Déconnexion sans id_token_hint."]


def _completed_login() -> psc.LoginRun:
    """A login whose authorize answer (the redirect carrying code and state) and code exchange were recorded."""
    record = Record().login()
    for exchange in record.exchanges:
        exchange.data["login"] = 1
    return psc.LoginRun(PRO, None, record.exchanges, [SESSION])


def test_a_replayed_authorization_response_must_be_refused_at_the_callback():
    first = _completed_login()
    assert first.callback() == f"{CALLBACK}?code=code-1&state=etat-1"
    refused = psc.FollowUpRun(first, [], [SESSION])
    assert outcomes(psc.check_replayed_state(refused)) == {("PSC-03", Outcome.PASS)}
    redeemed = psc.FollowUpRun(first, [Record().token(error=(400, "invalid_grant", "Code déjà utilisé."))], [SESSION])
    assert outcomes(psc.check_replayed_state(redeemed)) == {("PSC-03", Outcome.FAIL)}
    second_session = psc.FollowUpRun(first, [], [SESSION, SESSION])
    assert outcomes(psc.check_replayed_state(second_session)) == {("PSC-03", Outcome.FAIL)}
    never_logged_in = psc.FollowUpRun(psc.LoginRun(PRO, None, first.exchanges, []), [], [])
    assert outcomes(psc.check_replayed_state(never_logged_in)) == {("PSC-03", Outcome.SKIP)}


def test_sessions_held_before_the_login_are_never_this_logins():
    """A DUI whose reset and logout both kept an earlier scenario's session: the checks see only what this login
    opened (the earlier session hides one equal session), never the leftover."""
    other = {**SESSION, "idNational": "810999000020"}
    assert psc.born([SESSION, SESSION, other], [SESSION]) == [SESSION, other]
    refused = login("signature-invalide", sessions=[SESSION], earlier=[SESSION])
    assert outcomes(psc.check_refused(refused)) == {("PSC-10", Outcome.PASS)}
    opened = login(sessions=[SESSION, SESSION], earlier=[SESSION])
    assert outcomes(psc.check_session(opened)) == {("PSC-21", Outcome.PASS)}
    # no new session next to a leftover of the same professional: undecided (one session per professional)
    assert outcomes(psc.check_session(login(sessions=[SESSION], earlier=[SESSION]))) == {("PSC-21", Outcome.SKIP)}
    assert outcomes(psc.check_session(login(sessions=[other], earlier=[other]))) == {("PSC-21", Outcome.FAIL)}
    logged_out = psc.FollowUpRun(opened, [Record().logout()], [SESSION])
    assert outcomes(psc.check_logout(logged_out)) == {("PSC-22", Outcome.PASS)}
    kept = psc.FollowUpRun(opened, [Record().logout()], [SESSION, SESSION])
    assert outcomes(psc.check_logout(kept)) == {("PSC-22", Outcome.FAIL)}
