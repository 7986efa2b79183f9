"""The metadata-consistency checks (xds/consistency.py): their messages show what was expected and found, or
say none when the CDA gives no expected value; the codes belong to the DMP value sets."""

from __future__ import annotations

import dataclasses
from importlib.resources import files

import pytest
from lxml import etree

from dui_conformance.cda.valuesets import builtin_value_sets
from dui_conformance.model import Outcome
from dui_conformance.xds import check_entry, check_iti41, ebrim, expected_entry, read_submission
from dui_conformance.xds.build import iti41_request, submit_objects_request
from dui_conformance.xmlsafe import parse_xml

from ...support.cda import ROOT

HL7 = "{urn:hl7-org:v3}"


def test_missing_patient_id_without_an_ins_never_says_none():
    root = parse_xml((files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes(), "dlu").root
    role = root.find(f"{HL7}recordTarget/{HL7}patientRole")
    role.remove(role.find(f"{HL7}id"))  # the INS: only the local identifier is left
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    expected = expected_entry(parse_xml(data, "dlu"), data)
    assert expected.patient_id is None
    submit = submit_objects_request([("Document01", expected)])  # the builder sends the local PI: drop it
    for ident in submit.iter("{*}ExternalIdentifier"):
        if ident.get("identificationScheme") == ebrim.DE_PATIENT_ID:
            ident.getparent().remove(ident)
    xml = parse_xml(etree.tostring(submit), "METADATA.XML")
    findings = check_entry(read_submission(xml).entries[0], expected, xdm=True)
    messages = [f.message for f in findings if f.outcome.value == "fail"]
    patient = [m for m in messages if m.startswith("patientId")]
    assert patient and "None" not in patient[0] and "Attendu une valeur (aucune déductible du CDA)" in patient[0]
    local = [f.message for f in findings if f.requirement == "DMP-56"]
    assert local == [
        "Archive XDM sans INS : patientId absent. Trouvé « rien », attendu l'identifiant local du patient "
        "« IPP000123^^^&1.2.3.4.999.7&ISO^PI »."
    ]


def test_dmp48_message_shows_both_dates():
    data = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
    exp = expected_entry(parse_xml(data, "dlu"), data, "test")
    wrong = dataclasses.replace(exp, creation_time="19990101000000")
    content_type, body = iti41_request([(data, wrong)])
    failures = [
        f
        for f in check_iti41(content_type, body, "iti41-test", "test")
        if f.requirement == "DMP-48" and f.outcome is Outcome.FAIL
    ]
    assert failures, "la date modifiée doit faire échouer DMP-48"
    message = failures[0].message
    assert exp.creation_time in message and "19990101000000" in message, message


def test_xds_mapping_produces_only_codes_of_the_dmp_value_sets():
    from dui_conformance.xds.consistency import J57_CLASS_CODE, J60_FORMAT_CODE
    from dui_conformance.xds.expected import mapping

    sets = builtin_value_sets()
    assert all(sets[J57_CLASS_CODE].has_code(c) for c in mapping()["class_code"]["by_type"].values())
    assert all(sets[J60_FORMAT_CODE].has_code(c) for row in mapping()["format_code"] for c in row["codes"])


def test_xds_class_code_outside_j57_fails_even_when_the_cda_leaves_it_open():
    from dataclasses import replace

    from dui_conformance.xds import expected_entry, read_submission
    from dui_conformance.xds.consistency import _codes
    from dui_conformance.xds.iti41 import read_capture
    from dui_conformance.xds.mtom import parse_mtom

    content_type, body, _ = read_capture((ROOT / "fixtures/xds/iti41-classcode-hors-j57.mtom").read_bytes())
    msg = parse_mtom(content_type, body)
    sub = read_submission(parse_xml(msg.envelope, "req.xml"))
    cda = next(iter(msg.parts.values()))
    entry = sub.entries[0]
    exp = replace(expected_entry(parse_xml(cda, "cda.xml"), cda), class_code=None)
    bad = [f for f in _codes(entry, exp) if f.outcome is Outcome.FAIL]
    assert len(bad) == 1 and "JDV_J57" in bad[0].message and "99" in bad[0].evidence


@pytest.mark.parametrize(
    "name, code, scheme, fails",
    [
        ("healthcareFacilityTypeCode", "SA99", "1.2.250.1.71.4.2.4", True),
        ("healthcareFacilityTypeCode", "SA17", "1.2.250.1.71.4.2.4", False),
        ("formatCode", "urn:asip:ci-sis:dlu:2024", None, False),
        ("formatCode", "urn:asip:ci-sis:inconnu:2024", None, True),
        ("typeCode", "12345-6", "2.16.840.1.113883.6.1", True),
    ],
)
def test_xds_codes_belong_to_their_value_sets(name, code, scheme, fails):
    from dui_conformance.model import Location
    from dui_conformance.xds.consistency import VALUE_SETS, _check_membership, _Group
    from dui_conformance.xds.ebrim import Code

    class Entry:  # the two RegistryObject methods the check reads
        def codes(self, _scheme):
            return [Code(code, scheme)]

        def where(self, **_):
            return Location(file="req.xml")

    class Expected:
        sources: dict = {}

    group = _Group("DMP-47", "Codes", Entry(), Expected())
    scheme_uuid, oid = next((s, o) for n, s, o in VALUE_SETS if n == name)
    _check_membership(group, name, scheme_uuid, oid)
    assert bool(group.findings) is fails


@pytest.mark.parametrize(
    ("declared", "outcome"), [("en-us", Outcome.PASS), ("EN-US", Outcome.PASS), ("fr-FR", Outcome.FAIL)]
)
def test_language_tags_compare_without_regard_to_case(declared, outcome):
    """RFC 5646 §2.1.1: « en-us » is « en-US »; another language is still a difference."""
    data = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
    exp = dataclasses.replace(expected_entry(parse_xml(data, "dlu"), data, "test"), language_code="en-US")
    submit = submit_objects_request([("Document01", exp)])
    for slot in submit.iter("{*}Slot"):
        if slot.get("name") == "languageCode":
            slot.find("{*}ValueList/{*}Value").text = declared
    entry = read_submission(parse_xml(etree.tostring(submit), "METADATA.XML")).entries[0]
    [codes] = [f for f in check_entry(entry, exp) if f.requirement == "DMP-47" and f.outcome is outcome]
    assert "languageCode" in codes.message


def test_author_institution_mismatch_shows_the_whole_xon():
    """An organisation is printed with its assigning authority (XON-6 &OID&ISO), the slot found as HL7
    repetitions: never « None » nor a Python list."""
    data = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
    exp = expected_entry(parse_xml(data, "dlu"), data, "test")
    author = exp.authors[0]
    assert author.institution is not None
    other = dataclasses.replace(author.institution, name="AUTRE STRUCTURE")
    wrong = dataclasses.replace(exp, authors=(dataclasses.replace(author, institution=other), *exp.authors[1:]))
    content_type, body = iti41_request([(data, wrong)])
    [message] = [
        f.message
        for f in check_iti41(content_type, body, "iti41-test", "test")
        if f.requirement == "DMP-49" and f.outcome is Outcome.FAIL
    ]
    assert f"&{author.institution.id_root}&ISO^IDNST^^^{author.institution.id}" in message, message
    assert "None" not in message and "['" not in message, message
