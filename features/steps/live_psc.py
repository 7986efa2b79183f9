"""Steps of the live Pro Santé Connect features: log a fictitious professional in through the
browser the harness plays, then judge one check of dui_conformance.psc per step."""

import pytest
from pytest_bdd import given, parsers, then, when

from dui_conformance import psc
from dui_conformance.live import psc as live_psc


@pytest.fixture
def psc_pilots():
    """Browsers (or attended pilots) of the scenario's logins, closed at its end."""
    opened = []
    yield opened
    for pilot in opened:
        pilot.close()


def _login(live_env, psc_pilots, professional, defect=None, rotate=False, **how):
    attempt = live_psc.run_login(live_env, professional, defect, rotate, **how)
    if attempt.pilot is not None:
        psc_pilots.append(attempt.pilot)
    return attempt


@given("un DUI remis à zéro, relié à Pro Santé Connect simulé")
def reset_dui(live_env):
    live_env.reset()


@given(
    parsers.parse("le professionnel « {professional} » connecté au DUI par Pro Santé Connect"),
    target_fixture="psc_attempt",
)
@when(
    parsers.parse("le professionnel « {professional} » se connecte au DUI par Pro Santé Connect"),
    target_fixture="psc_attempt",
)
def logs_in(live_env, psc_pilots, professional):
    return _login(live_env, psc_pilots, professional)


@when(
    parsers.parse(
        "le professionnel « {professional} » se connecte et Pro Santé Connect renvoie le défaut « {defect} »"
    ),
    target_fixture="psc_attempt",
)
def logs_in_with_defect(live_env, psc_pilots, professional, defect):
    return _login(live_env, psc_pilots, professional, defect)


@when(
    parsers.parse("Pro Santé Connect publie une nouvelle clé et le professionnel « {professional} » se connecte"),
    target_fixture="psc_attempt",
)
def logs_in_after_rotation(live_env, psc_pilots, professional):
    return _login(live_env, psc_pilots, professional, rotate=True)


@when(
    parsers.parse(
        "le professionnel « {professional} » se connecte par « {means} » et Pro Santé Connect renvoie le niveau "
        "« {level} »"
    ),
    target_fixture="psc_attempt",
)
def logs_in_at_level(live_env, psc_pilots, professional, means, level):
    return _login(live_env, psc_pilots, professional, auth_mode=means, acr=level)


@when("le professionnel se déconnecte du DUI", target_fixture="psc_follow_up")
def logs_out(live_env, psc_attempt):
    return live_psc.run_logout(live_env, psc_attempt)


@when("le jeton d'accès du professionnel expire et le DUI revalide sa session", target_fixture="psc_follow_up")
def access_token_expires(live_env, psc_attempt):
    return live_psc.run_expired_access(live_env, psc_attempt)


@when(
    parsers.parse(
        "le jeton d'accès du professionnel expire, son jeton de rafraîchissement prend fin « {how} » et le DUI "
        "revalide sa session"
    ),
    target_fixture="psc_follow_up",
)
def refresh_token_dies(live_env, psc_attempt, how):
    return live_psc.run_refresh_death(live_env, psc_attempt, how)


@when("le même retour de Pro Santé Connect est présenté une seconde fois au DUI", target_fixture="psc_follow_up")
def replays_callback(live_env, psc_attempt):
    return live_psc.run_replayed_callback(live_env, psc_attempt)


@then("la session du DUI appartient à ce professionnel (identifiant national, profession, activité dans l'ESMS)")
def session_of_professional(psc_attempt, verdict):
    verdict.judge(psc.check_session(psc_attempt.run))


@then(parsers.parse("les requêtes du DUI à Pro Santé Connect respectent les exigences « {ids} »"))
def recorded(psc_attempt, verdict, ids):
    verdict.judge([f for i in ids.split() for f in psc.check_recorded(psc_attempt.run, i)])


@then("le DUI refuse la connexion")
def refused(psc_attempt, verdict):
    verdict.judge(psc.check_refused(psc_attempt.run))


@then("le DUI refuse le retour rejoué, son « state » ayant déjà servi")
def replay_refused(psc_follow_up, verdict):
    verdict.judge(psc.check_replayed_state(psc_follow_up))


@then("le DUI accepte le jeton signé par la nouvelle clé")
def rotation(psc_attempt, verdict):
    verdict.judge(psc.check_rotation(psc_attempt.run))


@then("la déconnexion passe par Pro Santé Connect et la session du DUI a disparu")
def logout(psc_follow_up, verdict):
    verdict.judge(psc.check_logout(psc_follow_up))


@then("le DUI a rafraîchi le jeton ou fermé la session")
def expired(psc_follow_up, verdict):
    verdict.judge(psc.check_expired_access(psc_follow_up))


@then("le DUI accepte le niveau supérieur à eidas1 et ouvre la session")
def higher_acr(psc_attempt, verdict):
    verdict.judge(psc.check_higher_acr(psc_attempt.run))


@then("le DUI a fermé la session, sans jeton de rafraîchissement réutilisé")
def refresh_death(psc_follow_up, verdict):
    verdict.judge(psc.check_refresh_death(psc_follow_up))


@then("le VIHF de la soumission ITI-41 désigne le professionnel connecté")
def vihf_names_professional(psc_attempt, feed, verdict):
    verdict.judge(psc.check_vihf_professional(psc_attempt.run, live_psc.submission_identities(feed.exchanges)))
