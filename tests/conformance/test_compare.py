"""compare A B: regressions, fixes, appearances per requirement and per document."""

from dataclasses import replace

from dui_conformance.compare import compare
from dui_conformance.model import Outcome


def _with_outcome(run, rid, outcome):
    return replace(run, requirements=[replace(r, outcome=outcome) if r.id == rid else r for r in run.requirements])


def test_same_run_has_no_change(failing_run):
    result = compare(failing_run, failing_run)
    assert not (result.regressed or result.fixed or result.appeared or result.disappeared)


def test_regression_fix_and_appearance(failing_run):
    fixed = _with_outcome(failing_run, "INS-01", Outcome.PASS)
    result = compare(failing_run, fixed)
    assert [c.requirement for c in result.fixed] == ["INS-01"] and not result.has_regression
    back = compare(fixed, failing_run)
    assert [(c.requirement, c.before, c.after) for c in back.regressed] == [("INS-01", "pass", "fail")]
    fewer = replace(failing_run, requirements=[r for r in failing_run.requirements if r.id != "INS-01"])
    appeared = compare(fewer, failing_run)
    assert [c.requirement for c in appeared.appeared] == ["INS-01"] and appeared.has_regression  # a new failure


def test_per_document_regressions_match_documents_by_relative_path(failing_run):
    def moved(run, root):
        scenarios = [replace(s, subject=f"{root}/{s.subject}") for s in run.scenarios]
        return replace(run, scenarios=scenarios)

    a = moved(failing_run, "/machine-a")
    b = moved(failing_run, "/ailleurs/machine-b")
    assert not compare(a, b).regressed
    dropped = replace(b, scenarios=[s for s in b.scenarios if "valide.xml" not in s.subject])
    result = compare(a, dropped)
    assert result.documents_disappeared == ["gen/valide.xml"]


def _with_psc26(run, wave):
    """The run in ``wave``, with PSC-26 (vague 2 only) failed on a document when ``wave`` judges it."""
    req = replace(run.requirements[0], id="PSC-26", outcome=Outcome.FAIL, findings=[])
    failing = next(s for s in run.scenarios if s.outcome is Outcome.FAIL)
    steps = [
        replace(step, findings=[replace(f, requirement="PSC-26") for f in step.findings]) for step in failing.steps
    ]
    scenario = replace(failing, requirements=["PSC-26"], steps=steps)
    extra = ([req], [scenario]) if wave == 2 else ([], [])
    return replace(run, wave=wave, requirements=[*run.requirements, *extra[0]], scenarios=[*run.scenarios, *extra[1]])


def test_a_requirement_of_only_one_wave_is_no_regression(failing_run):
    vague1, vague2 = _with_psc26(failing_run, 1), _with_psc26(failing_run, 2)
    result = compare(vague1, vague2)
    assert not result.has_regression and [c.requirement for c in result.appeared] == ["PSC-26"]
    assert result.wave_only == ["PSC-26"] and result.waves == (1, 2)
    assert (
        "« Vague 1 —" in result.warnings[0] and "B « Vague 2 —" in result.warnings[0] and "PSC-26" in result.warnings[1]
    )
    assert result.to_dict()["vagues"] == {"avant": 1, "apres": 2}
    back = compare(vague2, vague1)
    assert [c.requirement for c in back.disappeared] == ["PSC-26"] and not back.has_regression
    # Within one wave, a new failure stays a regression; a report of another tool version is said to be so.
    fewer = replace(vague2, requirements=[r for r in vague2.requirements if r.id != "PSC-26"], tool={"version": "0"})
    same_wave = compare(fewer, vague2)
    assert same_wave.has_regression and not same_wave.wave_only
    assert ["dui-conformance 0 (A) et 0.1.0 (B)" in w for w in same_wave.warnings] == [True]
    assert compare(failing_run, failing_run).warnings == []
