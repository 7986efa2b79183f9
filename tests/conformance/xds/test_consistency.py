"""Messages of the metadata-consistency checks when the CDA gives no expected value."""

from __future__ import annotations

import dataclasses
from importlib.resources import files

from lxml import etree

from dui_conformance.model import Outcome
from dui_conformance.xds import check_entry, check_iti41, ebrim, expected_entry, read_submission
from dui_conformance.xds.build import iti41_request, submit_objects_request
from dui_conformance.xmlsafe import parse_xml

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
