"""End to end without Gherkin: reference DUI + INSi mock, driven through the adapter client,
judged by the live INS checks. The correct DUI passes everything; each defect fails exactly
the requirements it breaks."""

from __future__ import annotations

import json

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


def test_environment_publishes_mock_urls_and_exchanges(tmp_path):
    with LiveEnvironment(reference_defects=frozenset(), services_file=tmp_path / SERVICES_FILE) as env:
        services = json.loads((tmp_path / SERVICES_FILE).read_text(encoding="utf-8"))
        assert services["insi"]["url"] == env.insi.url == env.urls()["insi"]
        assert services["insi"]["points_d_acces"]["rechercherInsAvecTraitsIdentite"] == env.insi.url
        assert services["dmp"]["points_d_acces"] == {
            "ITI-41": env.dmp.iti41_url,
            "ITI-18": env.dmp.iti18_url,
            "ITI-43": env.dmp.iti43_url,
        }
        assert env.insi.url.startswith("http://127.0.0.1:")
        since = env.mark()
        run = env.admit("unique", id_document="CN")
        assert [e.id for e in env.exchanges("insi", since)] == [e.id for e in run.exchanges]
        assert run.admission.status == "QUAL" and run.patient["resourceType"] == "Patient"
        with pytest.raises(KeyError, match="inconnu"):
            env.admit("personne")
        url = env.insi.url
    import requests

    with pytest.raises(requests.ConnectionError):
        requests.post(url, data=b"", timeout=2)


def test_soap_fault_is_reported_as_problem_json(tmp_path):
    with LiveEnvironment(reference_defects=frozenset()) as env:
        run = env.admit("faute")
    problem = run.admission.problem
    assert run.admission.http_status == 502 and problem["status"] == 502 and problem["service"] == "INS"
    assert "siram_100" in problem["detail"] and run.patient is not None  # provisional identity kept
    assert run.admission.ins is None


def test_cr02_is_retried_with_every_first_name_then_the_birth_place(tmp_path):
    with LiveEnvironment(reference_defects=frozenset()) as env:
        run = env.admit("homonyme-parfait-1")
    sent = [(e.data["traits"]["Prenom"], e.data["traits"]["LieuNaissance"]) for e in run.exchanges]
    assert sent == [(["PIERRE"], None), (["PIERRE"], "44109")]
    assert [e.data["cr"] for e in run.exchanges] == ["02", "02"] and run.admission.status == "PROV"


def test_injected_http_error_is_a_fault_too(tmp_path):
    with LiveEnvironment(reference_defects=frozenset()) as env:
        env.insi.set_fault(status=503, count=1)
        run = env.admit("unique", id_document="CN")
    assert run.admission.http_status == 502
    outcomes = {f.requirement: f.outcome for f in check_admission(run)}
    assert outcomes["INS-27"] is Outcome.PASS and outcomes["INS-22"] is Outcome.SKIP


def test_mocks_only_environment_cleans_its_temporary_folder():
    with LiveEnvironment() as env:
        assert env.driver is None and env.services_file.is_file()
        with pytest.raises(RuntimeError, match="Aucun DUI"):
            env.admit("unique")
    assert not env.services_file.exists()
    with pytest.raises(ValueError, match="soit"):
        LiveEnvironment(dui_config=object(), reference_defects=frozenset())
