"""The reference DUI's own CDA → XDS mapping (mocks/dui/xds_metadata.py) against the harness's expectation
(dui_conformance.xds.expected_entry), rule by rule, on every fixture CDA.

Both are written from the facts independently; where they disagree one of them is wrong, and the failure
names the rule (the DocumentEntry field) and both values.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from dui_conformance.mocks.dui.xds_metadata import derive
from dui_conformance.xds import expected_entry
from dui_conformance.xds.build import xcn
from dui_conformance.xmlsafe import XmlProblem, parse_xml

FIXTURES = Path(str(files("dui_conformance.fixtures") / "cda"))
CDAS = sorted(FIXTURES.rglob("*.xml"))


def _code(code) -> tuple | None:
    return (code.code, code.scheme) if code else None


def _coded(code) -> tuple | None:
    return (code.code, code.system) if code else None


def _local_ids(cda) -> set[str]:
    """The CDA's non-INS patient identifiers in XDS PI form (what a DUI sends without an INS, facts §3.2)."""
    ids = cda.xpath("/hl7:ClinicalDocument/hl7:recordTarget/hl7:patientRole/hl7:id")
    return {
        f"{i.get('extension')}^^^&{i.get('root')}&ISO^PI"
        for i in ids
        if i.get("extension") and not (i.get("root") or "").startswith("1.2.250.1.213.1.4.")
    }


def rules(data: bytes, name: str) -> dict[str, tuple]:
    """{rule: (harness, reference DUI)} for one CDA; formatCode compares the DUI's choice with the accepted set;
    without an INS the harness expects no particular patientId (not compared), the DUI's must be a local PI."""
    cda = parse_xml(data, name)
    exp, dui = expected_entry(cda, data, "test"), derive(cda, data)
    local = _local_ids(cda)
    patient = (exp.patient_id, dui.patient_id) if exp.patient_id or not local else (True, dui.patient_id in local)
    author = exp.authors[0] if exp.authors else None
    institution = author.institution if author else None
    specialty = author.specialty if author else None
    formats = {c.code for c in exp.format_codes}
    return {
        "patientId": patient,
        "sourcePatientInfo": ([f"{k}|{v}" for k, v in exp.source_patient_info.items()], dui.source_patient_info),
        "typeCode": (_code(exp.type_code), _coded(dui.type_code)),
        "classCode": (_code(exp.class_code), _coded(dui.class_code)),
        "formatCode": (bool(formats), (dui.format_code.code in formats) if dui.format_code else False),
        "confidentialityCode": (
            [_code(c) for c in exp.confidentiality_codes],
            [_coded(c) for c in dui.confidentiality],
        ),
        "healthcareFacilityTypeCode": (_code(exp.healthcare_facility_type_code), _coded(dui.facility)),
        "practiceSettingCode": (_code(exp.practice_setting_code), _coded(dui.practice)),
        "languageCode": (exp.language_code, dui.language),
        "creationTime": (exp.creation_time, dui.creation_time),
        "serviceStartTime": (exp.service_start_time, dui.service_start),
        "serviceStopTime": (exp.service_stop_time, dui.service_stop),
        "authorPerson": (xcn(author.person) if author and author.person else None, dui.author_person),
        "authorInstitution": (
            f"{institution.name or ''}^^^^^&{institution.id_root or '1.2.250.1.71.4.2.2'}&ISO"
            f"^IDNST^^^{institution.id or ''}"
            if institution
            else None,
            dui.author_institution,
        ),
        "authorSpecialty": (
            f"{specialty.code}^{specialty.display or ''}^{specialty.scheme or ''}" if specialty else None,
            dui.author_specialty,
        ),
        "legalAuthenticator": (
            xcn(exp.legal_authenticator) if exp.legal_authenticator else None,
            dui.legal_authenticator,
        ),
        "uniqueId": (exp.unique_id, dui.unique_id),
        "title": (exp.title, dui.title),
        "hash": (exp.hash, dui.hash),
        "size": (exp.size, dui.size),
        "mimeType": (exp.mime_type, dui.mime_type),
    }


def test_fixture_cdas_are_found():
    assert len(CDAS) >= 40 and FIXTURES / "dmp" / "dlu-valide.xml" in CDAS


@pytest.mark.parametrize("path", CDAS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_both_derivations_agree_rule_by_rule(path):
    data = path.read_bytes()
    try:
        compared = rules(data, path.name)
    except XmlProblem:
        pytest.skip("CDA illisible : aucune métadonnée à déduire")
    disagree = {rule: values for rule, values in compared.items() if values[0] != values[1]}
    assert not disagree, "\n".join(
        f"règle {rule} : harnais {h!r} ≠ DUI de référence {d!r}" for rule, (h, d) in disagree.items()
    )


def test_a_wrong_rule_in_the_reference_dui_is_named(monkeypatch):
    """The comparison can fail, and says which rule: a DLU mapped to classCode 10 instead of 11."""
    from dui_conformance.mocks.dui import xds_metadata

    monkeypatch.setitem(xds_metadata.CLASS_BY_TYPE, "74207-2", "10")
    compared = rules((FIXTURES / "dmp" / "dlu-valide.xml").read_bytes(), "dlu-valide.xml")
    assert [rule for rule, (h, d) in compared.items() if h != d] == ["classCode"]
