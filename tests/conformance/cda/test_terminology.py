"""The terminology layer (cda/terminology.py): a value set missing from the context is a skip, not a crash."""

from dui_conformance.inputs import load
from dui_conformance.model import Outcome

from ...support.cda import FIXTURES


def test_missing_value_set_is_a_skip_not_a_crash(ctx):
    from dataclasses import replace

    doc = load(FIXTURES / "dlu-valide.xml").xml
    partial = replace(ctx, value_sets={k: v for k, v in ctx.value_sets.items() if k != "1.2.250.1.213.1.1.5.590"})
    from dui_conformance.cda import check_terminology

    gender = [f for f in check_terminology(doc, partial) if f.requirement == "DMP-28"]
    assert any(f.outcome is Outcome.SKIP and "1.2.250.1.213.1.1.5.590" in f.message for f in gender)
