"""Reference DUI + PSC mock, driven as the PSC features do (browser from the login URL, adapter's
/session): the correct relying party passes every PSC check; each ``psc-*`` defect fails exactly the
checks it targets (the negative scenarios pass only when the DUI stops)."""

from __future__ import annotations

import dataclasses

import pytest

from dui_conformance import psc
from dui_conformance.live import dmp
from dui_conformance.live import psc as live_psc
from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment
from dui_conformance.mocks.dui import DEFECTS
from dui_conformance.mocks.psc import REFRESH_DEATHS
from dui_conformance.model import Outcome

pytestmark = pytest.mark.live

# Every defect that fails a PSC requirement, through this plan: exactly its requirements fail.
EXPECTED_FAILURES = {None: set()} | {name: defect.fails for name, defect in DEFECTS.items() if "PSC" in defect.services}


def _plan(env) -> list:
    """The scenarios of features/psc/*.feature, in order, each from a reset DUI; after each, ``env.audit()`` judges
    every exchange of the scenario, as after each direct scenario of the demo, and its browsers log out (the
    ``psc_pilots`` fixture of features/steps/live_psc.py)."""
    findings = []

    def login(*args, **kwargs):
        findings.extend(env.audit())  # the previous scenario's
        close()
        env.reset()
        attempt = live_psc.run_login(env, *args, **kwargs)
        opened.append(attempt.pilot)
        return attempt

    def close():
        while opened:
            opened.pop().close()

    opened: list = []
    try:
        run = login("ide-martin").run
        findings += psc.check_session(run) + [f for i in psc.RECORDED for f in psc.check_recorded(run, i)]
        for defect in psc.DEFECT_REQUIREMENTS:
            findings += psc.check_refused(login("ide-martin", defect).run)
        findings += psc.check_rotation(login("medecin-durand", rotate=True).run)
        findings += psc.check_replayed_state(live_psc.run_replayed_callback(env, login("ide-martin")))
        findings += psc.check_logout(live_psc.run_logout(env, login("ide-martin")))
        findings += psc.check_expired_access(live_psc.run_expired_access(env, login("ide-martin")))
        for means in ("CPS", "e-CPS"):
            findings += psc.check_higher_acr(login("ide-martin", auth_mode=means, acr="eidas2").run)
        for how in REFRESH_DEATHS:
            findings += psc.check_refresh_death(live_psc.run_refresh_death(env, login("ide-martin"), how))
        attempt = login("ide-martin")
        feed = dmp.run_feed(env, env.admit("unique", id_document="CN"))
        findings += psc.check_vihf_professional(attempt.run, live_psc.submission_identities(feed.exchanges))
        findings += env.audit()
    finally:
        close()
    return findings


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every PSC defect (and the correct DUI) through the plan once; findings by defect."""
    out = {}
    for defect in EXPECTED_FAILURES:
        folder = tmp_path_factory.mktemp("psc")
        with LiveEnvironment(
            reference_defects=frozenset({defect} if defect else ()), services_file=folder / SERVICES_FILE
        ) as env:
            env.psc_settings = dataclasses.replace(env.psc_settings, attente_s=0.05)
            out[defect] = _plan(env)
    return out


def test_psc_defects_fail_only_psc_requirements():
    """This plan judges PSC checks only: a defect failing another service's requirement too needs its plan as well."""
    assert len(EXPECTED_FAILURES) > 1 and all(DEFECTS[name].services == {"PSC"} for name in EXPECTED_FAILURES if name)


@pytest.mark.parametrize("defect", list(EXPECTED_FAILURES), ids=lambda d: d or "correct")
def test_failing_requirements_per_defect(results, defect):
    findings = results[defect]
    failing = {f.requirement for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)}
    assert failing == EXPECTED_FAILURES[defect], [f.message for f in findings if f.outcome is Outcome.FAIL]


def test_correct_dui_passes_every_psc_check(results):
    findings = results[None]
    assert {f.outcome for f in findings} == {Outcome.PASS}, [
        (f.requirement, f.outcome, f.message) for f in findings if f.outcome is not Outcome.PASS
    ]
    assert {f.requirement for f in findings} == {f"PSC-{n:02d}" for n in range(1, 28) if n != 9}
