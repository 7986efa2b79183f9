"""End to end without Gherkin: reference DUI + INSi mock, driven through the adapter client,
judged by the live INS checks. The correct DUI passes everything; each defect fails exactly
the requirements it breaks."""

from __future__ import annotations

import pytest

from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment
from dui_conformance.live.ins import CHECKS, check_admission
from dui_conformance.mocks.dui import DEFECTS
from dui_conformance.model import Outcome

pytestmark = pytest.mark.live

# The admissions of features/ins/insi.feature, in order: (persona, by carte Vitale, identity document).
PLAN = [
    ("unique", False, None),
    ("unique", False, "CN"),
    ("inconnu", False, "CN"),
    ("inconnu", False, None),
    ("unique", False, "CN"),  # prelude of the CR 02 scenario: a successful lookup just before
    ("homonyme-parfait-1", False, "CN"),
    ("historique", False, "CN"),
    ("nom-compose", False, "CN"),
    ("ne-etranger", False, "CN"),
    ("date-partielle", False, "CN"),
    ("nom-compose-saisi", False, "CN"),
    ("unique-saisi", False, "CN"),
    ("faute", False, "CN"),
    ("vitale", True, "CN"),
    ("vitale", True, "CN"),  # the carte Vitale feature has two scenarios
]

# check_admission also runs every live check and the offline FHIR checks (INS-01…INS-14) on each export, hence the
# defects' also_breaks. PSC defects only change the login (no login in this plan): tests/live_psc judges them; the
# DMP, TLS and MSSanté defects must leave every INS check passing.
EXPECTED_FAILURES = {None: set()} | {
    name: {r for r in defect.breaks if r.startswith("INS-")}
    for name, defect in DEFECTS.items()
    if defect.services != {"PSC"}
}


def _run_plan(tmp_path, defects):
    findings = []
    with LiveEnvironment(reference_defects=defects, services_file=tmp_path / SERVICES_FILE) as env:
        env.driver.reset()
        for persona, by_vitale, document in PLAN:
            findings += check_admission(env.admit(persona, by_vitale, document))
    return findings


@pytest.mark.parametrize("defect", list(EXPECTED_FAILURES), ids=lambda d: d or "correct")
def test_failing_requirements_per_defect(tmp_path, defect):
    findings = _run_plan(tmp_path, frozenset({defect}) if defect else frozenset())
    failing = {f.requirement for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)}
    assert failing == EXPECTED_FAILURES[defect], [f.message for f in findings if f.outcome is Outcome.FAIL]


def test_correct_dui_passes_every_requirement_without_skips(tmp_path):
    findings = _run_plan(tmp_path, frozenset())
    assert {f.outcome for f in findings} <= {Outcome.PASS, Outcome.OMIT}
    assert {f.requirement for f in findings if f.outcome is Outcome.PASS} >= set(CHECKS) | {"INS-14"}
    assert all(
        f.location.exchange
        for f in findings
        if f.outcome is Outcome.PASS and f.requirement in CHECKS and f.requirement != "INS-25"
    )


def test_dui_without_insi_leaves_its_traits_scenarios_undecided(tmp_path):
    """A DUI that never calls the INSi must not pass the CR cases by silence: they are skipped."""
    findings = _run_plan(tmp_path, frozenset({"sans-insi"}))
    skipped = {f.requirement for f in findings if f.outcome is Outcome.SKIP}
    assert {"INS-21", "INS-22", "INS-23", "INS-24", "INS-27"} <= skipped
