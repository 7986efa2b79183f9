"""Auto-présentable and signed CDA: every layer runs on the embedded ClinicalDocument, every finding
points into the original file (line and XPath valid there), and DMP feeding expects the form's mimeType."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from dui_conformance import ins
from dui_conformance.cda import check_cda_input
from dui_conformance.documents import check_readable
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import AUTO_PRESENTED, CDA, SIGNED, load
from dui_conformance.model import Outcome
from dui_conformance.xds import build, check_iti41, expected_entry
from dui_conformance.xmlsafe import NS, parse_xml

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


def test_dmp_feeding_of_an_auto_presented_cda_expects_its_mime_type():
    data = (FORMS / "autopresentable-valide.xml").read_bytes()
    exp = expected_entry(load(FORMS / "autopresentable-valide.xml").cda, data)
    assert exp.mime_type == "application/xslt+xml"
    plain = FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml"
    assert expected_entry(parse_xml(plain.read_bytes(), str(plain)), plain.read_bytes()).mime_type == "text/xml"

    content_type, body = build.iti41_request([(data, exp)])
    findings = check_iti41(content_type, body, "iti41.mtom")
    assert not [f for f in findings if f.outcome is Outcome.FAIL], [
        f.message for f in findings if f.outcome is Outcome.FAIL
    ]
    assert any(f.requirement == "DMP-50" and f.outcome is Outcome.PASS for f in findings)

    wrong = body.replace(b'mimeType="application/xslt+xml"', b'mimeType="text/xml"')
    assert wrong != body
    fails = [f for f in check_iti41(content_type, wrong, "iti41.mtom") if f.outcome is Outcome.FAIL]
    assert {f.requirement for f in fails} == {"DMP-47"} and any("application/xslt+xml" in f.message for f in fails)
