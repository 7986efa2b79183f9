"""The offline plan (execution/plan.py): one definition per step, document ids made unique as pytest does, a PEUT's
finding that never fails its step."""

import pytest

from dui_conformance.execution.plan import (
    SELECTION_REASON,
    Judged,
    Verdict,
    document_ids,
    evaluate_document,
    offline_plan,
    outside_selection,
)
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import Outcome, StepResult, failed, passed
from dui_conformance.requirements import Catalogue, Requirement, load_catalogue
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


def test_a_finding_of_another_wave_never_fails_nor_enters_the_step():
    """A check deciding several ids: in vague 1, its finding on a vague-2-only requirement is dropped where every
    finding is graded, so it cannot stop the scenario."""
    catalogue = Catalogue(
        [
            Requirement("MSS-07", "MSS", "Des deux vagues.", "DOIT", "s"),
            Requirement("MSS-901", "MSS", "Ajoutée par la vague 2.", "DOIT", "s", waves=(2,)),
        ]
    )
    step = StepResult("Alors", "contrôle", Outcome.PASS)
    recorded = Verdict(lambda: step, catalogue.in_wave(1)).judge([passed("MSS-07", "ok"), failed("MSS-901", "non")])
    assert [f.requirement for f in recorded] == ["MSS-07"] == [f.requirement for f in step.findings]


@pytest.mark.parametrize(
    ("tags", "selection", "reason"),
    [
        ({"INS-01"}, {}, None),
        ({"INS-01"}, {"requirements": ["INS-02"]}, SELECTION_REASON),
        ({"INS-01", "INS-02"}, {"requirements": ["INS-02"]}, None),
        ({"INS-01"}, {"wave": 2}, None),  # both waves judge every built-in requirement
        ({"hors-ligne"}, {"wave": 2}, None),  # no requirement tag: never left out for its wave
    ],
)
def test_outside_selection(tags, selection, reason):
    assert outside_selection(tags, RunSettings(mode="check", **selection)) == reason


def test_outside_selection_leaves_out_the_scenarios_of_another_wave(tmp_path):
    (tmp_path / "v2.toml").write_text(
        '[[requirement]]\nid = "INS-901"\nservice = "INS"\nstatement = "d"\nlevel = "DOIT"\nsource = "s"\n'
        "vagues = [2]\n",
        encoding="utf-8",
    )
    settings = RunSettings(mode="check", catalogue_dirs=[str(tmp_path)])
    assert outside_selection({"INS-901"}, settings) == "exigence(s) d'une autre vague que la vague 1 jugée (--vague)"
    assert outside_selection({"INS-901", "INS-01"}, settings) is None
    assert outside_selection({"INS-901"}, RunSettings(mode="check", catalogue_dirs=[str(tmp_path)], wave=2)) is None
