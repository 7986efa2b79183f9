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
