"""The entry a submission must carry, derived from the CDA (xds/expected.py): codes, dates, identifiers, the
mime type of the form."""

from __future__ import annotations

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import load
from dui_conformance.model import Outcome
from dui_conformance.xds import build, check_iti41, expected_entry
from dui_conformance.xmlsafe import parse_xml

FORMS = FIXTURES_DIR / "cda" / "formes"


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
