"""Reference DUI + DMP mock, the consultation of vague 2 (features/dmp/consultation.feature) driven through the
adapter client and judged by dui_conformance.live.dmp: the correct DUI passes every check; each consultation defect
fails exactly the requirements it targets."""

from __future__ import annotations

import pytest

from dui_conformance.live.dmp import (
    check_existence_on_opening,
    check_existence_requests,
    check_newer_version,
    check_no_second_download,
    check_no_transaction,
    check_tested_before_feed,
    check_view,
    check_vsm,
    run_feed,
    run_integration,
    run_opening,
    seed_document,
    seed_vsm,
    shared_patient_id,
)
from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment
from dui_conformance.live.personas import DmpProfile, dmp_profiles
from dui_conformance.mocks.dui import DEFECTS
from dui_conformance.model import Outcome

pytestmark = pytest.mark.live

CONSULTATION_IDS = {f"DMP-{n}" for n in range(65, 76)}
EXPECTED_FAILURES = {None: set()} | {
    name: defect.fails for name, defect in DEFECTS.items() if defect.fails and defect.fails <= CONSULTATION_IDS
}


def _open(env, persona: str, id_document: str | None = "CN", seed: bool = False):
    run = env.admit(persona, id_document=id_document)
    if seed:
        patient_id = shared_patient_id(run.patient)
        seed_document(env, patient_id)
        seed_vsm(env, patient_id, "20260105093000")
        seed_vsm(env, patient_id, "20261120143000")
    return run_opening(env, run, dmp_profiles().get(persona, DmpProfile()))


def _plan(env) -> list:
    """The scenarios of features/dmp/consultation.feature, in order, each followed by ``env.audit()``."""
    findings = []
    env.reset()
    opening = _open(env, "unique")
    findings += check_existence_on_opening(opening) + check_existence_requests(opening.exchanges) + env.audit()
    env.reset()
    opening = _open(env, "unique", seed=True)
    findings += check_view(opening) + check_vsm(opening) + env.audit()
    for persona in ("ne-etranger", "date-partielle"):
        env.reset()
        findings += check_view(_open(env, persona)) + env.audit()
    env.reset()
    findings += check_no_transaction(_open(env, "nom-compose")) + env.audit()
    env.reset()
    findings += check_no_transaction(_open(env, "unique", id_document=None)) + env.audit()
    env.reset()
    feed = run_feed(env, env.admit("unique", id_document="CN"))
    findings += check_tested_before_feed(feed) + check_existence_requests(feed.exchanges) + env.audit()
    for replacing in (False, True):  # a new document, then a new version of the integrated one
        env.reset()
        rid = (run := env.admit("historique", id_document="CN")).admission.resident_id
        patient_id = shared_patient_id(run.patient)
        first_id = seed_document(env, patient_id)
        first = run_integration(env, rid, patient_id, [first_id], [])
        newer = seed_document(env, patient_id, replaces=first_id if replacing else None)
        second = run_integration(env, rid, patient_id, [newer], [])
        judged = check_newer_version(second, first_id, newer) if replacing else check_no_second_download(first, second)
        findings += judged + env.audit()
    return findings


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = {}
    for defect in EXPECTED_FAILURES:
        folder = tmp_path_factory.mktemp("dmp-consultation")
        with LiveEnvironment(
            reference_defects=frozenset({defect} if defect else ()), services_file=folder / SERVICES_FILE
        ) as env:
            out[defect] = _plan(env)
    return out


def test_every_consultation_requirement_has_a_defect():
    assert {req for name in EXPECTED_FAILURES if name for req in DEFECTS[name].fails} == {
        f"DMP-{n}" for n in range(65, 73)
    }


@pytest.mark.parametrize("defect", list(EXPECTED_FAILURES), ids=lambda d: d or "correct")
def test_failing_requirements_per_defect(results, defect):
    findings = results[defect]
    failing = {f.requirement for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)}
    assert failing == EXPECTED_FAILURES[defect], [f.message for f in findings if f.outcome is Outcome.FAIL]


def test_correct_dui_passes_every_consultation_check(results):
    findings = results[None]
    assert {f.outcome for f in findings} <= {Outcome.PASS, Outcome.OMIT}, [
        (f.requirement, f.outcome, f.message) for f in findings if f.outcome not in (Outcome.PASS, Outcome.OMIT)
    ]
    assert {f"DMP-{n}" for n in range(65, 73)} <= {f.requirement for f in findings if f.outcome is Outcome.PASS}
