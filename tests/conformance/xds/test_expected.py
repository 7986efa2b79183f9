"""The entry a submission must carry, derived from the CDA (xds/expected.py): codes, dates, identifiers, the
mime type of the form."""

from __future__ import annotations

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import load
from dui_conformance.model import Outcome
from dui_conformance.xds import build, check_iti41, expected_entry
from dui_conformance.xds.expected import to_utc
from dui_conformance.xmlsafe import parse_xml

from .conftest import ROOT, _valid_parts

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


SHARED = ROOT / ".." / "shared"


DLU = SHARED / "ans-examples" / "cda" / "DLU-EHPAD-DLU_2022.01.xml"


def test_expected_entry_from_synthetic_cda():
    _, _, msg = _valid_parts()
    cda = next(iter(msg.parts.values()))
    exp = expected_entry(parse_xml(cda, "dlu.xml"), cda)
    assert exp.patient_id == "247037511412331^^^&1.2.250.1.213.1.4.10&ISO^NH"
    assert exp.creation_time == "20240312093000"  # 10:30 +01:00 in UTC
    assert (exp.service_start_time, exp.service_stop_time) == ("20240312090000", "20240312093000")
    assert exp.class_code.code == "11" and exp.type_code.code == "74207-2"
    assert exp.format_codes[0].code == "urn:asip:ci-sis:dlu:2024"
    assert exp.source_patient_info == {"PID-5": "FICTIVE^MARIE^^^^^L", "PID-7": "19470315", "PID-8": "F"}
    assert exp.healthcare_facility_type_code.code == "SA17" and exp.practice_setting_code.code == "ESSMS"
    assert exp.unique_id == "1.2.250.1.999.1.1.20240312.1" and exp.size == len(cda)
    assert exp.sources["patient_id"].line


def test_unknown_type_code_leaves_class_open():
    _, _, msg = _valid_parts()
    cda = next(iter(msg.parts.values())).replace(b'code="74207-2"', b'code="99999-9"')
    cda = cda.replace(b"1.2.250.1.213.1.1.1.22", b"1.2.250.1.999.9")
    exp = expected_entry(parse_xml(cda, "x.xml"), cda)
    assert exp.class_code is None and exp.format_codes == ()


def test_unique_id_with_extension():
    _, _, msg = _valid_parts()
    cda = next(iter(msg.parts.values())).replace(
        b'<id root="1.2.250.1.999.1.1.20240312.1"/>', b'<id root="1.2.250.1.999.1" extension="ABC"/>'
    )
    assert expected_entry(parse_xml(cda, "x.xml"), cda).unique_id == "1.2.250.1.999.1^ABC"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("20240312103000+0100", "20240312093000"),
        ("20240101003000+0200", "20231231223000"),
        ("202403121030-0500", "202403121530"),
        ("20240312", "20240312"),
        ("20240312103000", "20240312103000"),
        ("pas une date", None),
    ],
)
def test_to_utc(value, expected):
    assert to_utc(value) == expected


@pytest.mark.shared
@pytest.mark.skipif(not DLU.exists(), reason="../shared absent")
def test_expected_entry_on_ans_dlu_example():
    data = DLU.read_bytes()
    exp = expected_entry(parse_xml(data, str(DLU)), data)
    assert exp.patient_id == "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"
    assert exp.creation_time == "20200327143500"
    assert exp.practice_setting_code.code == "ETABLISSEMENT"
    assert exp.legal_authenticator.id == "801234567897" and exp.legal_authenticator.family == "BOILEAU"
    assert exp.source_patient_info["PID-5"] == "PAT-TROIS^DOMINIQUE^^^^^L"
