"""Reference DUI + DMP mock, driven through the adapter client and judged by dui_conformance.live.dmp:
the correct DUI passes every live DMP check; each DMP defect fails exactly the checks it targets."""

from __future__ import annotations

import pytest

from dui_conformance.live.dmp import (
    check_error_kept,
    check_integration,
    check_query_requests,
    check_recorded,
    check_refused_unqualified,
    check_replacement,
    check_retrieve_requests,
    check_single_submission,
    run_feed,
    run_integration,
    seed_document,
    shared_patient_id,
)
from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment
from dui_conformance.mocks.dui import DEFECTS
from dui_conformance.model import Outcome

pytestmark = pytest.mark.live

ITI41_IDS = [f"DMP-{n}" for n in range(40, 51)]
CONSULTATION_IDS = {f"DMP-{n}" for n in range(66, 76)}  # judged by test_live_dmp_consultation_plan.py
# Every defect that fails a DMP requirement this plan judges: exactly its requirements fail.
EXPECTED_FAILURES = {None: set()} | {
    name: defect.fails
    for name, defect in DEFECTS.items()
    if "DMP" in defect.services and not defect.fails & CONSULTATION_IDS
}


def _plan(env) -> list:
    """The scenarios of features/dmp/alimentation.feature, in order; after each, ``env.audit()`` judges every
    exchange the scenario caused, as the plugin does."""
    findings = []
    # Alimentation nominale
    env.reset()
    run = env.admit("unique", id_document="CN")
    feed = run_feed(env, run)
    findings += check_single_submission(feed) + check_recorded(feed, ITI41_IDS) + env.audit()
    # Remplacement
    env.reset()
    run = env.admit("unique", id_document="CN")
    first = run_feed(env, run)
    second = run_feed(env, run, replaced=first)
    findings += check_replacement(second) + check_recorded(second, ["DMP-43"]) + env.audit()
    # Identité non qualifiée
    env.reset()
    run = env.admit("unique")
    findings += check_refused_unqualified(run_feed(env, run)) + env.audit()
    # Erreur du DMP
    env.reset()
    run = env.admit("unique", id_document="CN")
    env.dmp.fail_next("XDSRepositoryError")
    findings += check_error_kept(run_feed(env, run)) + env.audit()
    # Intégration
    env.reset()
    run = env.admit("historique", id_document="CN")
    other = env.admit("nom-compose", id_document="CN")
    patient_id = shared_patient_id(run.patient)
    seeded = [seed_document(env, patient_id)]
    integration = run_integration(env, run.admission.resident_id, patient_id, seeded, [other.admission.resident_id])
    findings += (
        check_integration(integration) + check_query_requests(integration) + check_retrieve_requests(integration)
    )
    return findings + env.audit()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every defect (and the correct DUI) through the plan once; findings by defect."""
    out = {}
    for defect in EXPECTED_FAILURES:
        folder = tmp_path_factory.mktemp("dmp")
        with LiveEnvironment(
            reference_defects=frozenset({defect} if defect else ()), services_file=folder / SERVICES_FILE
        ) as env:
            out[defect] = _plan(env)
    return out


def test_dmp_defects_fail_only_dmp_requirements():
    """This plan judges DMP checks only: a defect failing another service's requirement too needs its plan as well."""
    assert len(EXPECTED_FAILURES) > 1 and all(DEFECTS[name].services == {"DMP"} for name in EXPECTED_FAILURES if name)


@pytest.mark.parametrize("defect", list(EXPECTED_FAILURES), ids=lambda d: d or "correct")
def test_failing_requirements_per_defect(results, defect):
    findings = results[defect]
    failing = {f.requirement for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)}
    assert failing == EXPECTED_FAILURES[defect], [f.message for f in findings if f.outcome is Outcome.FAIL]


def test_correct_dui_passes_every_live_dmp_check(results):
    findings = results[None]
    assert {f.outcome for f in findings} <= {Outcome.PASS, Outcome.OMIT}, [
        (f.requirement, f.outcome, f.message) for f in findings if f.outcome not in (Outcome.PASS, Outcome.OMIT)
    ]
    passing = {f.requirement for f in findings if f.outcome is Outcome.PASS}
    assert {"DMP-53", "DMP-54", "DMP-60", "DMP-61", "DMP-62", "DMP-63", "DMP-64"} <= passing


@pytest.mark.parametrize("defect", sorted(name for name, d in DEFECTS.items() if not d.services & {"DMP", "PSC"}))
def test_ins_defects_leave_dmp_checks_unfailed(tmp_path, defect):
    """An identity the DUI failed to qualify is the INS checks' finding: DMP checks are then undecided. Only the
    INSi's deviations on the DUI's requests (INS-21), which the audit of every exchange reports, fail here."""
    with LiveEnvironment(reference_defects=frozenset({defect}), services_file=tmp_path / SERVICES_FILE) as env:
        findings = _plan(env)
    expected = DEFECTS[defect].fails & {"INS-21"}
    assert _failing_ids(findings) == expected, [f.message for f in findings if f.outcome is Outcome.FAIL]


def _failing_ids(findings) -> set[str]:
    return {f.requirement for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)}
