"""INS-12 (CDA recordTarget), INS-13 (HL7 v2 PID), INS-14 (FHIR Patient): where the INS sits."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from dui_conformance.inputs import load
from dui_conformance.ins import check_cda_record_target, check_document, check_fhir_patient, check_hl7v2_pid
from dui_conformance.model import Outcome
from dui_conformance.xmlsafe import parse_xml

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
VALID_CDA = (FIXTURES / "cda/ins/ins_valide_nom_compose.xml").read_text("utf-8")
VALID_HL7 = (FIXTURES / "hl7v2/adt_a28_ins_qual.hl7").read_text("utf-8")
VALID_FHIR = json.loads((FIXTURES / "fhir/patient_ins_qual_corse.json").read_text("utf-8"))


def failing(findings, scope="INS"):
    return {f.requirement for f in findings if f.outcome is Outcome.FAIL and f.requirement.startswith(scope)}


def document(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path)


def cda_findings(text):
    return check_cda_record_target(parse_xml(text.encode(), "mem.xml"))


def test_cda_valid():
    assert {f.outcome for f in cda_findings(VALID_CDA)} == {Outcome.PASS}


@pytest.mark.parametrize(
    "old, new, trait_req",
    [
        ("<county>21231</county>", "", "INS-09"),
        ('<birthTime value="19420714"/>', "", "INS-07"),
        ('<given qualifier="BR">JEAN-BAPTISTE</given>', "", "INS-06"),
        ("<given>JEAN-BAPTISTE LOUIS MARCEL</given>", "", "INS-06"),
        ('<administrativeGenderCode code="M"', '<administrativeGenderCode nullFlavor="UNK"', "INS-08"),
    ],
)
def test_cda_missing_trait_fails_ins12_and_the_trait_rule(tmp_path, old, new, trait_req):
    assert old in VALID_CDA
    doc = document(tmp_path, "d.xml", VALID_CDA.replace(old, new))
    assert failing(check_document(doc)) == {"INS-12", trait_req}


def test_cda_qualifier_not_allowed():
    text = VALID_CDA.replace('<given qualifier="CL">', '<given qualifier="SP">')
    failures = [f for f in cda_findings(text) if f.outcome is Outcome.FAIL]
    assert len(failures) == 1 and "SP" in failures[0].message and failures[0].location.line


def test_cda_without_ins_or_record_target_is_omitted():
    no_ins = VALID_CDA.replace('root="1.2.250.1.213.1.4.10"', 'root="2.25.1"')
    assert {f.outcome for f in cda_findings(no_ins)} == {Outcome.OMIT}
    assert {f.outcome for f in cda_findings('<ClinicalDocument xmlns="urn:hl7-org:v3"/>')} == {Outcome.OMIT}


def test_hl7v2_valid():
    assert {f.outcome for f in check_hl7v2_pid(VALID_HL7, "m")} == {Outcome.PASS}


@pytest.mark.parametrize(
    "old, new, also",
    [
        ("|N||VALI", "|N||", {"INS-11"}),  # no PID-32: status missing
        ("&ISO^INS", "&ISO^NH", set()),  # legacy identifier type code
        ("^^^^BDL^^21231", "^^^^H^^21231", {"INS-09"}),  # no BDL address
        ("^^^^L~", "^^^^~", set()),  # birth name without type L: still read, tolerantly
        ("^^^^L~", "^^^^D~", {"INS-05", "INS-06"}),  # only used names: no birth name at all
        ("|19420714|", "||", {"INS-07"}),
    ],
)
def test_hl7v2_pid_defects(tmp_path, old, new, also):
    assert old in VALID_HL7
    doc = document(tmp_path, "m.hl7", VALID_HL7.replace(old, new, 1))
    assert failing(check_document(doc)) == {"INS-13", *also}


def test_hl7v2_without_pid_is_omitted():
    text = "MSH|^~\\&|A|B|C|D|20250312||ACK^A01|1|P|2.5\rMSA|AA|1\r"
    assert {f.outcome for f in check_hl7v2_pid(text, "m")} == {Outcome.OMIT}


def test_fhir_valid():
    assert {f.outcome for f in check_fhir_patient(VALID_FHIR, "p")} == {Outcome.PASS}


def _patient(change):
    data = copy.deepcopy(VALID_FHIR)
    change(data)
    return data


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["identifier"][1].update(system="1.2.250.1.213.1.4.10"),  # no urn:oid: prefix
        lambda p: p["identifier"][1].update(use="usual"),
        lambda p: p["identifier"][1].pop("type"),
        lambda p: p["identifier"][1].update(
            type={"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "INS-NIR-TEST"}]}
        ),
        lambda p: p["extension"].pop(0),  # no identity-reliability extension
        lambda p: p.update(name="CASANOVA"),  # not FHIR: name must be a list
    ],
)
def test_fhir_patient_defects(change):
    findings = check_fhir_patient(_patient(change), "p")
    assert Outcome.FAIL in {f.outcome for f in findings} and failing(findings) == {"INS-14"}


def test_fhir_nia_uses_temp():
    def to_nia(p):
        p["identifier"][1].update(system="urn:oid:1.2.250.1.213.1.4.9", use="temp")
        p["identifier"][1]["type"]["coding"][0]["code"] = "INS-NIA"

    assert {f.outcome for f in check_fhir_patient(_patient(to_nia), "p")} == {Outcome.PASS}


def test_fhir_without_patient_or_ins_is_omitted():
    assert {f.outcome for f in check_fhir_patient({"resourceType": "Observation"}, "o")} == {Outcome.OMIT}
    no_ins = _patient(lambda p: p["identifier"].pop(1))
    assert {f.outcome for f in check_fhir_patient(no_ins, "p")} == {Outcome.OMIT}
