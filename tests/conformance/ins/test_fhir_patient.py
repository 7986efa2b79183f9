"""INS-14 (FHIR Patient): where the INS sits in a Patient resource."""

import copy
import json

import pytest

from dui_conformance.inputs import load
from dui_conformance.ins import (
    check_document,
    check_fhir_patient,
    fhir_patient,
    read_fhir,
)
from dui_conformance.ins.fhir_patient import MAX_DEPTH, patients
from dui_conformance.model import Outcome

from .conftest import FIXTURES, failing

VALID_FHIR = json.loads((FIXTURES / "fhir/patient_ins_qual_corse.json").read_text("utf-8"))


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


def test_fhir_bundle_reader_paths():
    data = json.loads((FIXTURES / "fhir/bundle_patients.json").read_text("utf-8"))
    qualified, provisional = read_fhir(data, "b.json")
    assert (qualified.status, qualified.sex, qualified.birth_place) == ("QUAL", "F", "2A004")
    assert qualified.where["matricule"].xpath == "Bundle.entry[0].resource.identifier[1].value"
    assert not provisional.carries_ins and provisional.status == "PROV"


def _in(resource_type, **fields):
    return {"resourceType": resource_type, **fields}


def test_patients_wherever_fhir_puts_them():
    """contained, Bundle entries (and Bundles in Bundles), Parameters parameters and parts: every Patient, in
    document order, each with its FHIRPath location."""
    docref = _in("DocumentReference", contained=[VALID_FHIR], status="current")
    data = _in(
        "Parameters",
        parameter=[
            {"name": "patient", "resource": VALID_FHIR},
            {
                "name": "lot",
                "part": [
                    {"name": "bundle", "resource": _in("Bundle", entry=[{"resource": _in("Bundle", entry=[{}])}])},
                    {"name": "document", "resource": _in("Bundle", entry=[{"resource": docref}])},
                ],
            },
        ],
    )
    assert [where for where, _ in patients(data)] == [
        "Parameters.parameter[0].resource",
        "Parameters.parameter[1].part[1].resource.entry[0].resource.contained[0]",
    ]
    identity = read_fhir(data, "p.json")[1]
    where = "Parameters.parameter[1].part[1].resource.entry[0].resource.contained[0].identifier[1].value"
    assert identity.matricule == "267032A00411291" and identity.where["matricule"].xpath == where


def test_wrong_type_in_contained_patient_is_seen():
    wrong = _patient(lambda p: p["identifier"][1].update(use="usual"))
    findings = check_fhir_patient(_in("DocumentReference", contained=[wrong]), "d.json")
    assert failing(findings) == {"INS-14"}
    assert {f.location.xpath for f in findings} == {"DocumentReference.contained[0].identifier[1]"}


def test_no_patient_is_said_with_what_was_found():
    data = _in("Bundle", entry=[{"resource": _in("Practitioner")}, {"resource": _in("Practitioner")}])
    (finding,) = check_fhir_patient(data, "b.json")
    assert finding.outcome is Outcome.OMIT and "Bundle, Practitioner ×2" in finding.message


def test_hostile_nesting_is_a_finding_not_a_recursion():
    """Built without recursion, far deeper than the interpreter's recursion limit; the reading stops at
    MAX_DEPTH with one finding and still checks the Patients above it."""
    data = inner = _in("Bundle", entry=[{"resource": VALID_FHIR}])
    for _ in range(20_000):
        nested = _in("Bundle")
        inner["entry"].append({"resource": nested})
        inner = nested
        inner["entry"] = []
    findings = check_fhir_patient(data, "b.json")
    skipped = [f for f in findings if f.outcome is Outcome.SKIP]
    assert len(skipped) == 1 and f"{MAX_DEPTH} niveaux" in skipped[0].message
    assert skipped[0].location.xpath.count(".resource") == MAX_DEPTH
    assert Outcome.PASS in {f.outcome for f in findings} and failing(findings) == set()


def test_hostile_nesting_in_a_file(tmp_path):
    path = tmp_path / "imbrique.json"
    path.write_text('{"resourceType":"Bundle","entry":[{"resource":' * 200 + "{}" + "}]}" * 200, "utf-8")
    findings = check_document(load(path))
    assert [f.requirement for f in findings if f.outcome is Outcome.SKIP] == ["INS-14"]
    assert not [f for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)]


def test_patients_over_the_cap_are_reported_not_read(monkeypatch):
    monkeypatch.setattr(fhir_patient, "MAX_PATIENTS", 3)
    data = _in("Bundle", entry=[{"resource": VALID_FHIR}] * 5)
    assert len(read_fhir(data, "b.json")) == 3
    findings = check_fhir_patient(data, "b.json")
    (skipped,) = [f for f in findings if f.outcome is Outcome.SKIP]
    assert skipped.message.startswith("5 ressources Patient") and skipped.location.xpath == "Bundle.entry[2].resource"
