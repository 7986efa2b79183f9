"""The offline plan (execution/plan.py): one definition per step, document ids made unique as pytest does, a PEUT's
finding that never fails its step."""

import pytest

from dui_conformance.execution.plan import Judged, Verdict, document_ids, evaluate_document, offline_plan
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import Outcome, StepResult, failed, passed
from dui_conformance.requirements import load_catalogue
from dui_conformance.settings import OFFLINE, RunSettings


def test_every_offline_step_has_one_definition():
    undefined = [(s.name, st.text) for s in offline_plan().scenarios for st in s.steps if st.function is None]
    assert not undefined


def test_document_ids_are_made_unique_as_pytest_does():
    ids = document_ids(["/a/x.xml", "/b/x.xml", "/c/y1", "/d/y1", "/e/z.xml"])
    assert list(ids.values()) == ["x.xml0", "x.xml1", "y1_0", "y1_1", "z.xml"]


def test_a_peut_finding_is_recorded_as_an_avertissement_and_never_fails_its_step():
    step = StepResult("Alors", "contrôle", Outcome.PASS)
    verdict = Verdict(lambda: step, load_catalogue())
    recorded = verdict.judge([passed("DMP-60", "soumission acceptée"), failed("DMP-55", "clé RPPS fausse")])
    assert [f.outcome for f in recorded] == [Outcome.PASS, Outcome.ADVISORY] == [f.outcome for f in step.findings]
    with pytest.raises(Judged, match="DMP-60"):
        verdict.judge([failed("DMP-60", "refusée"), failed("DMP-55", "clé RPPS fausse")])


def test_a_document_with_wrong_keys_gets_avertissements_and_its_scenarios_go_on():
    path = FIXTURES_DIR / "cda" / "dmp" / "dmp-55-cles-fausses.xml"
    results = evaluate_document(str(path), path.name, RunSettings(mode="check", inputs=[str(path)], phases=[OFFLINE]))
    findings = [f for s in results for f in s.findings]
    assert [f.outcome for f in findings if f.requirement == "DMP-55"] == [Outcome.ADVISORY] * 2
    assert not [f for f in findings if f.outcome in (Outcome.FAIL, Outcome.NOT_RUN)]
    assert {s.outcome for s in results if "DMP-55" in s.requirements} == {Outcome.ADVISORY}
