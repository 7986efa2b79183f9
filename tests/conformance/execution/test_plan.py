"""The offline plan (execution/plan.py): one definition per step, document ids made unique as pytest does."""

from dui_conformance.execution.plan import document_ids, offline_plan


def test_every_offline_step_has_one_definition():
    undefined = [(s.name, st.text) for s in offline_plan().scenarios for st in s.steps if st.function is None]
    assert not undefined


def test_document_ids_are_made_unique_as_pytest_does():
    ids = document_ids(["/a/x.xml", "/b/x.xml", "/c/y1", "/d/y1", "/e/z.xml"])
    assert list(ids.values()) == ["x.xml0", "x.xml1", "y1_0", "y1_1", "z.xml"]
