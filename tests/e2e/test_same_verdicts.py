"""No verdict changes: the in-process plan gives what the pytest-bdd session gives, on every fixture.

Scenario results are compared whole (steps, findings, errors, order; durations aside): requirement
outcomes are the runner's roll-up of them, the same function whichever engine produced them."""

from dui_conformance.execution.plan import document_ids, offline_plan
from dui_conformance.model import RunResult
from dui_conformance.runner import run_plan

from ..support.runs import comparable, fixture_settings


def test_in_process_plan_equals_pytest_bdd_session(tmp_path, local_run):
    via_pytest = run_plan(fixture_settings(), tmp_path, jobs=1)
    reference = RunResult(**{**local_run.__dict__, "scenarios": via_pytest})
    assert comparable(local_run)["scenarios"] == comparable(reference)["scenarios"]
    assert len(local_run.scenarios) > 1000, "the fixtures must exercise the plan"


def test_every_offline_step_has_one_definition():
    undefined = [(s.name, st.text) for s in offline_plan().scenarios for st in s.steps if st.function is None]
    assert not undefined


def test_document_ids_are_made_unique_as_pytest_does():
    ids = document_ids(["/a/x.xml", "/b/x.xml", "/c/y1", "/d/y1", "/e/z.xml"])
    assert list(ids.values()) == ["x.xml0", "x.xml1", "y1_0", "y1_1", "z.xml"]
