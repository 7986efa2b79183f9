"""The live plan through the real runner (pytest-bdd + plugin): what happens after a failed step, and
every exchange of a scenario is judged (issue 7, points 2 and 3)."""

from __future__ import annotations

import pytest

from dui_conformance.live.environment import LiveEnvironment
from dui_conformance.model import Outcome
from dui_conformance.plugin import AUDIT_STEP
from dui_conformance.runner import Execution, execute
from dui_conformance.settings import LIVE, RunSettings

pytestmark = pytest.mark.live


def _run(defects: set[str], requirements: list[str]):
    settings = RunSettings(mode="demo", phases=[LIVE], requirements=requirements)
    with LiveEnvironment(reference_defects=frozenset(defects)) as env:
        return execute(Execution(settings, live_env=env))


def test_requirements_after_a_failed_step_are_not_evaluated_never_not_applicable():
    run = _run({"traits-alteres"}, ["INS-25"])
    by_id = {r.id: r for r in run.requirements}
    assert by_id["INS-22"].outcome is Outcome.FAIL
    # INS-25 and INS-14 follow INS-22 in the scenarios where it fails: « non évaluée », even where others passed.
    for req in ("INS-25", "INS-14"):
        assert by_id[req].outcome is Outcome.NOT_RUN, (req, by_id[req].outcome)
        assert any(f.outcome is Outcome.NOT_RUN and "n'ont pas été exécutées" in f.message for f in by_id[req].findings)
    stopped = [s for s in run.scenarios if any(step.outcome is Outcome.NOT_RUN for step in s.steps)]
    assert stopped and all(s.outcome is Outcome.FAIL for s in stopped)


def test_the_correct_dui_leaves_nothing_unevaluated():
    run = _run(set(), ["INS-25"])
    assert {r.outcome for r in run.requirements if r.id in ("INS-22", "INS-25", "INS-14")} == {Outcome.PASS}


def test_a_bad_second_submission_fails_through_the_audit():
    """Point 2: the replacement's wrong hash fails DMP-50 although no step of that scenario asks for DMP-50."""
    run = _run({"dmp-empreinte-remplacement"}, ["DMP-61"])
    by_id = {r.id: r for r in run.requirements}
    assert by_id["DMP-50"].outcome is Outcome.FAIL and by_id["DMP-61"].outcome is Outcome.FAIL
    assert any(f.location.exchange for f in by_id["DMP-50"].findings if f.outcome is Outcome.FAIL)
    audited = [step for s in run.scenarios for step in s.steps if step.text == AUDIT_STEP]
    assert audited and any(f.requirement == "DMP-50" for step in audited for f in step.findings)
