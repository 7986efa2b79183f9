"""The CDA checks as the package runs them (conformance/cda/__init__.py): every fixture of fixtures/cda/dmp fails
exactly the ids its manifest names, layer by layer; hostile input gives findings, not crashes; on an
auto-présentable or signed CDA every layer runs on the embedded ClinicalDocument and every finding points into
the original file."""

from __future__ import annotations

import base64
import re
import tomllib
from pathlib import Path

import pytest
from lxml import etree

from dui_conformance import ins
from dui_conformance.cda import LAYERS, body, check_cda, check_cda_input, check_cda_layers
from dui_conformance.documents import check_readable
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import AUTO_PRESENTED, CDA, SIGNED, load
from dui_conformance.model import Outcome
from dui_conformance.requirements.catalogue import load_catalogue
from dui_conformance.xmlsafe import NS, parse_xml

from ..support.cda import FIXTURES, ROOT, failing

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


N1 = (FIXTURES / "n1-pdf-valide.xml").read_text(encoding="utf-8")


def _with_payload(payload: str) -> str:
    start = N1.index('representation="B64">') + len('representation="B64">')
    return N1[:start] + payload + N1[N1.index("</text>", start) :]


def test_invalid_base64(ctx):
    doc = parse_xml(_with_payload("%%%% pas du base64 ****").encode(), "x.xml")
    assert failing(check_cda(doc, ctx)) == ["DMP-17"]


def test_oversized_base64_is_not_decoded(ctx, monkeypatch):
    monkeypatch.setattr(body, "MAX_B64_CHARS", 1000)
    doc = parse_xml(_with_payload(base64.b64encode(b"%PDF-" + b"0" * 5000).decode()).encode(), "x.xml")
    fails = [f for f in check_cda(doc, ctx) if f.outcome is Outcome.FAIL]
    assert [f.requirement for f in fails] == ["DMP-17"] and "limite" in fails[0].message


def test_base64_beyond_parser_limit(ctx, tmp_path):
    path = tmp_path / "enorme.xml"
    path.write_text(_with_payload("QUFB" * 3_000_000), encoding="utf-8")  # 12 MB text node
    findings = check_cda_input(load(path), ctx)
    assert findings and all(f.outcome in (Outcome.OMIT, Outcome.PASS, Outcome.FAIL, Outcome.SKIP) for f in findings)


def test_doctype_is_gen_business(ctx, tmp_path):
    path = tmp_path / "xxe.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        '<ClinicalDocument xmlns="urn:hl7-org:v3">&e;</ClinicalDocument>'
    )
    findings = check_cda_input(load(path), ctx)
    assert [(f.requirement, f.outcome) for f in findings] == [("DMP-01", Outcome.OMIT)]
    assert "GEN" in findings[0].message and findings[0].location.line == 2


def test_garbage_bytes(ctx, tmp_path):
    path = tmp_path / "bruit.xml"
    path.write_bytes(b"<ClinicalDocument \xff\xfe\x00 garbage")
    assert [f.outcome for f in check_cda_input(load(path), ctx)] == [Outcome.OMIT]


def test_empty_clinical_document(ctx):
    doc = parse_xml(b'<ClinicalDocument xmlns="urn:hl7-org:v3"/>', "vide.xml")
    findings = check_cda(doc, ctx)
    assert "DMP-02" in failing(findings) and "DMP-04" in failing(findings)


FORMS = FIXTURES_DIR / "cda" / "formes"


def _all_findings(path: Path, ctx):
    doc = load(path)
    return doc, check_readable(doc) + check_cda_input(doc, ctx) + ins.check_document(doc)


@pytest.mark.parametrize("name, form", [("autopresentable", AUTO_PRESENTED), ("signe", SIGNED)])
def test_form_is_recognised_and_reported(name, form, ctx):
    doc, findings = _all_findings(FORMS / f"{name}-valide.xml", ctx)
    assert doc.kind == CDA and doc.cda.form == form
    failing = [f for f in findings if f.outcome is Outcome.FAIL]
    assert failing == [], [f.message for f in failing]
    gen01 = next(f for f in findings if f.requirement == "GEN-01")
    assert gen01.outcome is Outcome.PASS and form in gen01.message


@pytest.mark.parametrize("name", ["autopresentable-defauts", "signe-defauts", "autopresentable-valide"])
def test_every_location_is_valid_in_the_original_file(name, ctx):
    doc, findings = _all_findings(FORMS / f"{name}.xml", ctx)
    original = etree.parse(str(doc.path))
    located = [f for f in findings if f.location.xpath and f.location.line]
    assert len(located) > 20
    for finding in located:
        path = finding.location.xpath.split("/@")[0]
        nodes = original.xpath(path, namespaces=NS)
        assert len(nodes) == 1, (finding.requirement, path)
        assert nodes[0].sourceline == finding.location.line, (finding.requirement, path)


def test_defects_inside_the_form_fail_their_requirements(ctx):
    _, findings = _all_findings(FORMS / "autopresentable-defauts.xml", ctx)
    failing = {f.requirement for f in findings if f.outcome is Outcome.FAIL}
    assert failing == {"DMP-03", "INS-01"}
    dmp03 = next(f for f in findings if f.requirement == "DMP-03")
    assert dmp03.location.line == 8 and dmp03.location.xpath.endswith("/hl7:ClinicalDocument/hl7:realmCode")


def test_legal_authenticator_message_says_found_then_expected(ctx):
    _, findings = _all_findings(FORMS / "signe-defauts.xml", ctx)
    dmp08 = next(f for f in findings if f.requirement == "DMP-08" and f.outcome is Outcome.FAIL)
    found, expected = dmp08.message.index("« 1.2.250.1.71 »"), dmp08.message.index("1.2.250.1.71.4.2.1")
    assert found < expected and "attendu" in dmp08.message[expected:]
