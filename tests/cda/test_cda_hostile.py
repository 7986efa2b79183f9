"""Hostile or broken inputs give findings, never a crash."""

from __future__ import annotations

import base64

from dui_conformance.cda import body, check_cda, check_cda_input
from dui_conformance.inputs import load
from dui_conformance.model import Outcome
from dui_conformance.xmlsafe import parse_xml

from .conftest import FIXTURES, failing

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
