"""INS-14 (FHIR Patient): where the INS sits in a Patient resource."""

import copy
import json

import pytest

from dui_conformance.ins import (
    check_fhir_patient,
    read_fhir,
)
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
