"""No verdict changes: the in-process plan gives what the pytest-bdd session gives, on every fixture."""

import dataclasses

from dui_conformance.execution.plan import document_ids, offline_plan
from dui_conformance.runner import roll_up, run_plan
from dui_conformance.requirements import load_catalogue

from .conftest import comparable, fixture_settings


def test_in_process_plan_equals_pytest_bdd_session(tmp_path, local_run):
    settings = fixture_settings()
    via_pytest = run_plan(settings, tmp_path, jobs=1)
    requirements = roll_up(load_catalogue([]), via_pytest, settings.profile)
    reference = dataclasses.replace(local_run, scenarios=via_pytest, requirements=requirements)
    assert comparable(local_run) == comparable(reference)
    assert local_run.scenarios, "the fixtures must exercise the plan"


def test_every_offline_step_has_one_definition():
    undefined = [(s.name, st.text) for s in offline_plan().scenarios for st in s.steps if st.function is None]
    assert not undefined


def test_document_ids_are_made_unique_as_pytest_does():
    ids = document_ids(["/a/x.xml", "/b/x.xml", "/c/y1", "/d/y1", "/e/z.xml"])
    assert list(ids.values()) == ["x.xml0", "x.xml1", "y1_0", "y1_1", "z.xml"]
