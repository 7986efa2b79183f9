"""Every fixture of fixtures/cda/dmp fails exactly the ids its manifest names, layer by layer."""

from __future__ import annotations

import re
import tomllib

import pytest

from dui_conformance.cda import LAYERS, check_cda, check_cda_input, check_cda_layers
from dui_conformance.inputs import load
from dui_conformance.model import Outcome
from dui_conformance.requirements.catalogue import load_catalogue

from .conftest import FIXTURES, ROOT, failing

MANIFEST = tomllib.loads((FIXTURES / "MANIFEST.toml").read_text(encoding="utf-8"))
ENTRIES = MANIFEST["fixture"]


def test_manifest_lists_every_file_and_known_ids():
    listed = {e["file"] for e in ENTRIES}
    assert listed == {p.name for p in FIXTURES.glob("*.xml")}
    catalogue = load_catalogue()
    assert MANIFEST["scope"] == ["DMP", "GEN"]
    for entry in ENTRIES:
        assert all(rid in catalogue for rid in entry["fails"]), entry


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_fixture_fails_exactly(entry, ctx):
    findings = check_cda_input(load(FIXTURES / entry["file"]), ctx)
    assert failing(findings) == sorted(entry["fails"])
    for f in findings:
        assert f.location.file and f.message
        if f.outcome is Outcome.FAIL:
            assert f.location.xpath, f


def test_every_builtin_requirement_has_a_defective_fixture():
    proven = {rid for e in ENTRIES for rid in e["fails"]}
    ids = {rid for _, layer in LAYERS for rid in layer.decides}
    assert "DMP-01" in ids
    assert ids - {"DMP-30", "DMP-31"} <= proven


def test_each_layer_scenario_is_tagged_with_the_ids_its_layer_declares():
    """The step names a layer by its French label; the scenario's tags are the ids that layer decides."""
    layers = dict(LAYERS)
    text = (ROOT / "features" / "dmp" / "cda.feature").read_text(encoding="utf-8")
    scenarios = re.findall(r"^  ((?:@\S+ ?)+)\n  Scénario:.*\n    Alors la couche « (.+) » est conforme$", text, re.M)
    assert sorted(label for _, label in scenarios) == sorted(layers)
    for tags, label in scenarios:
        assert set(tags.replace("@", "").split()) == set(layers[label].decides), label


def test_one_report_section_per_layer(ctx):
    doc = load(FIXTURES / "dlu-valide.xml").xml
    sections = check_cda_layers(doc, ctx)
    assert [name for name, _ in sections] == [name for name, _ in LAYERS]
    assert all(findings for _, findings in sections)  # no layer is silent on an applicable input
    assert sum(len(f) for _, f in sections) == len(check_cda(doc, ctx))


@pytest.mark.parametrize("name", ["dlu-valide.xml", "vsm-valide.xml", "n1-pdf-valide.xml"])
def test_valid_documents_pass_every_layer(name, ctx):
    doc = load(FIXTURES / name).xml
    for layer_name, findings in check_cda_layers(doc, ctx):
        if layer_name != "Schématrons officiels":
            assert not [f for f in findings if f.outcome in (Outcome.FAIL, Outcome.SKIP, Outcome.ERROR)], layer_name


def test_model_recognition_is_data(ctx):
    keys = {m["key"] for m in ctx.models}
    assert {"DLU", "FLUDT", "FLUDR", "VSM", "LDL-EES", "LDL-SES", "IPS-FR", "N1"} <= keys


def test_missing_value_set_is_a_skip_not_a_crash(ctx):
    from dataclasses import replace

    doc = load(FIXTURES / "dlu-valide.xml").xml
    partial = replace(ctx, value_sets={k: v for k, v in ctx.value_sets.items() if k != "1.2.250.1.213.1.1.5.590"})
    from dui_conformance.cda import check_terminology

    gender = [f for f in check_terminology(doc, partial) if f.requirement == "DMP-28"]
    assert any(f.outcome is Outcome.SKIP and "1.2.250.1.213.1.1.5.590" in f.message for f in gender)
