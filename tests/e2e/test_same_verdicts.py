"""No verdict changes: the in-process plan gives what the pytest-bdd session gives, and a pool of local
processes what one process gives, on every fixture.

Scenario results are compared whole (steps, findings, errors, order; durations aside): requirement
outcomes are the runner's roll-up of them, the same function whichever engine produced them."""

from dui_conformance.model import RunResult
from dui_conformance.runner import Execution, execute, run_plan

from ..support.runs import comparable, fixture_settings


def test_in_process_plan_equals_pytest_bdd_session(tmp_path, local_run):
    via_pytest = run_plan(fixture_settings(), tmp_path, jobs=1)
    reference = RunResult(**{**local_run.__dict__, "scenarios": via_pytest})
    assert comparable(local_run)["scenarios"] == comparable(reference)["scenarios"]
    assert len(local_run.scenarios) > 1000, "the fixtures must exercise the plan"


def test_local_process_pool_equals_in_process(local_run):
    pooled = execute(Execution(fixture_settings(), jobs=2))
    assert comparable(pooled) == comparable(local_run)
