"""Reference DUI + MSSanté operator + PSC mocks, driven as features/mss/authentification.feature does: the correct
DUI passes MSS-24…27 and every exchange audit; each defect that fails one of them fails exactly its requirements."""

from __future__ import annotations

import pytest

from dui_conformance.live import mss_auth
from dui_conformance.live import psc as live_psc
from dui_conformance.live.environment import LiveEnvironment
from dui_conformance.mocks.dui import DEFECTS
from dui_conformance.model import Outcome

pytestmark = pytest.mark.live

AUTH = {"MSS-24", "MSS-25", "MSS-26", "MSS-27"}
EXPECTED_FAILURES = {None: set()} | {name: set(d.fails) for name, d in DEFECTS.items() if d.fails & AUTH}
ORGANISATIONAL = "secretariat@ehpad-les-tilleuls.mssante.fr"


def _plan(env) -> list:
    """The feature's scenarios, each from a reset DUI, each followed by the audit of its exchanges."""
    findings, pilots = [], []

    def scenario():
        findings.extend(env.audit())
        env.reset()

    def login():
        attempt = live_psc.run_login(env, "ide-martin")
        pilots.append(attempt.pilot)
        return attempt

    def opened(mailbox: str) -> dict:
        since = env.mark()
        env.driver.open_mss_sessions(mailbox)
        return since

    try:
        for mailbox in (None, ORGANISATIONAL):
            scenario()
            attempt = login()
            mailbox = mailbox or attempt.professional.mssante
            since = opened(mailbox)
            findings += mss_auth.check_bearer_logins(
                env.exchanges("mss", since), mailbox, attempt.professional.id_national
            )
        scenario()
        attempt = login()
        opened(attempt.professional.mssante)
        live_psc.run_expired_access(env, attempt)
        since = opened(attempt.professional.mssante)
        pro = attempt.professional
        findings += mss_auth.check_bearer_logins(env.exchanges("mss", since), pro.mssante, pro.id_national)
        scenario()
        since = opened(env.mss_mailbox)
        findings += mss_auth.check_applicative_logins(env.exchanges("mss", since), env.mss_mailbox)
        findings += mss_auth.check_api_lps_tls(env.exchanges("mss", since))
        scenario()
        attempt = login()
        death = mss_auth.end_refresh_token(env, attempt, opened(attempt.professional.mssante))
        reopen = env.mss.recorder.mark()
        env.driver.open_mss_sessions(attempt.professional.mssante)
        death.reopen = env.mss.recorder.exchanges(reopen)
        findings += mss_auth.check_sessions_end(death, attempt.professional.id_national)
        scenario()
        suite = mss_auth.api_lps().unlisted_suite
        with env.mss.only_suite(suite):
            since = opened(env.mss_mailbox)
        findings += mss_auth.check_unlisted_refused(env.exchanges("mss", since), suite)
        findings += env.audit()
    finally:
        for pilot in pilots:
            pilot.close()
    return findings


@pytest.fixture(scope="module")
def results():
    out = {}
    for defect in EXPECTED_FAILURES:
        with LiveEnvironment(reference_defects=frozenset({defect} if defect else set())) as env:
            out[defect] = _plan(env)
    return out


@pytest.mark.parametrize("defect", list(EXPECTED_FAILURES))
def test_each_defect_fails_exactly_its_requirements(results, defect):
    findings = results[defect]
    assert {f.requirement for f in findings if f.outcome is Outcome.FAIL} == EXPECTED_FAILURES[defect], [
        f.message for f in findings if f.outcome is Outcome.FAIL
    ]
    if defect is None:
        assert {f.requirement for f in findings if f.outcome is Outcome.PASS} >= AUTH
