"""Every fixture of fixtures/xds fails exactly the ids its manifest lists; readers keep locations."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dui_conformance import inputs
from dui_conformance.model import Outcome
from dui_conformance.xds import check_iti41, check_iti41_file, check_xdm, ebrim, expected_entry, read_submission
from dui_conformance.xds.expected import to_utc
from dui_conformance.xds.iti41 import read_capture
from dui_conformance.xds.mtom import parse_mtom
from dui_conformance.xmlsafe import parse_xml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "xds"
MANIFEST = tomllib.loads((FIXTURES / "MANIFEST.toml").read_text(encoding="utf-8"))
SHARED = ROOT / ".." / "shared"
DLU = SHARED / "ans-examples" / "cda" / "DLU-EHPAD-DLU_2022.01.xml"


def run(path: Path):
    kind = inputs.load(path).kind
    assert kind in ("xds", "xdm"), f"{path.name} reconnu comme {kind}"
    return check_xdm(str(path)) if kind == "xdm" else check_iti41_file(str(path))


@pytest.mark.parametrize("fixture", MANIFEST["fixture"], ids=lambda f: f["file"])
def test_fixture_fails_exactly_manifest_ids(fixture):
    findings = run(FIXTURES / fixture["file"])
    assert findings
    assert not [f for f in findings if f.outcome is Outcome.ERROR]
    in_scope = {
        f.requirement
        for f in findings
        if f.outcome is Outcome.FAIL and f.requirement.split("-")[0] in MANIFEST["scope"]
    }
    assert in_scope == set(fixture["fails"])
    for f in findings:
        assert f.message and f.location.file


def test_valid_request_passes_every_group():
    findings = run(FIXTURES / "iti41-valide.mtom")
    passing = {f.requirement for f in findings if f.outcome is Outcome.PASS}
    assert passing == {f"DMP-{n}" for n in (40, 41, 42, 44, 45, 46, 47, 48, 49, 50)}


def _valid_parts():
    content_type, body, captured = read_capture((FIXTURES / "iti41-valide.mtom").read_bytes())
    assert captured
    return content_type, body, parse_mtom(content_type, body)


def test_read_submission_keeps_locations():
    _, _, msg = _valid_parts()
    sub = read_submission(parse_xml(msg.envelope, "req.xml"))
    assert len(sub.submission_sets) == 1 and len(sub.entries) == 1
    entry = sub.entries[0]
    assert entry.id == "Document01" and entry.mime_type == "text/xml"
    assert [a.type for a in sub.associations] == [ebrim.HAS_MEMBER]
    assert entry.codes(ebrim.DE_CLASS)[0].code == "11"
    where = entry.where(slot="creationTime")
    assert where.file == "req.xml" and where.line and "Slot" in where.xpath


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


@pytest.mark.parametrize(
    "content_type,body",
    [
        ("multipart/related; boundary=x", b"garbage"),
        ('multipart/related; boundary="b"', b"--b\r\nContent-Type: text/plain\r\n\r\npas du XML\r\n--b--"),
        ("application/soap+xml", b"\x00\xff\xfe<<<"),
        ("application/soap+xml", b"<a/>"),
        ("", b""),
        ("multipart/related", b"--"),
    ],
)
def test_hostile_requests_give_findings_not_crashes(content_type, body):
    findings = check_iti41(content_type, body, "hostile")
    assert findings and any(f.outcome is Outcome.FAIL for f in findings)


def test_hostile_files_recognised_and_checked(tmp_path):
    zip_like = tmp_path / "faux.zip"
    zip_like.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    findings = run(zip_like)
    assert [f.requirement for f in findings] == ["DMP-52"]


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
