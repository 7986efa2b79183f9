"""Reading identities (ins/reading.py): a document of any kind gives its identities with their locations, whatever
its encoding or HL7 v2 version."""

from __future__ import annotations

import json

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import load
from dui_conformance.ins import (
    check_document,
    check_structure,
    read_identities,
)
from dui_conformance.model import Outcome

from .conftest import FIXTURES, NIR


def test_cda_reader_reads_traits_and_locations():
    [identity], findings = read_identities(load(FIXTURES / "cda/ins/ins_valide_nom_compose.xml"))
    assert findings == []
    assert (identity.matricule, identity.oid) == (NIR, "1.2.250.1.213.1.4.10")
    assert (identity.birth_family, identity.given_list, identity.first_given) == (
        "LEBRUN-D'ALMEIDA",
        "JEAN-BAPTISTE LOUIS MARCEL",
        "JEAN-BAPTISTE",
    )
    assert (identity.birth_date, identity.sex, identity.birth_place) == ("1942-07-14", "M", "21231")
    assert (identity.used_family, identity.status, identity.attributes) == ("LEBRUN", None, ())
    where = identity.where["first_given"]
    assert where.xpath.endswith("hl7:patient/hl7:name/hl7:given[2]") and where.line > 1
    assert identity.where["matricule"].xpath.endswith("hl7:id[1]/@extension")


def test_cda_partial_birth_date():
    [identity], _ = read_identities(load(FIXTURES / "cda/ins/ins_valide_date_partielle.xml"))
    assert identity.birth_date == "1950-06"


def test_hl7v2_iso_8859_1_file():
    doc = load(FIXTURES / "hl7v2/adt_a28_iso8859_1.hl7")
    [identity], findings = read_identities(doc)
    assert doc.text[1] == "iso-8859-1" and findings == [] and identity.birth_place == "99341"


VALID = FIXTURES_DIR / "hl7v2" / "adt_a28_ins_qual.hl7"


@pytest.mark.parametrize("version", [b"2.6", b"2.9", b"2.10"])
def test_unknown_versions_are_read_like_the_newest_known_one(tmp_path, version):
    data = VALID.read_bytes()
    assert b"|2.5^FRA^2.11|" in data
    path = tmp_path / "message.hl7"
    path.write_bytes(data.replace(b"|2.5^FRA^2.11|", b"|" + version + b"^FRA^2.11|", 1))
    identities, problems = read_identities(load(path))
    assert problems == [] and len(identities) == 1 and identities[0].carries_ins
    assert {f.outcome.value for f in check_structure(load(path))} == {"pass"}


def test_fhir_ins_c_is_not_read_as_an_ins(tmp_path):
    """An INS-C identifier (urn:oid:1.2.250.1.213.1.4.2) is no INS: no trait rule judges a FHIR Patient for it."""
    patient = json.loads((FIXTURES / "fhir/patient_ins_qual_corse.json").read_text("utf-8"))
    ins_c = {
        "use": "official",
        "type": {"coding": [{"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "code": "INS-C"}]},
        "system": "urn:oid:1.2.250.1.213.1.4.2",
        "value": "0093876492823371705143",
    }
    patient["identifier"][1] = ins_c
    patient["name"][0]["given"] = ["Marie-Ange"]  # lower case: an INS trait failure if read as an INS
    path = tmp_path / "p.json"
    path.write_text(json.dumps(patient), encoding="utf-8")
    [identity], _ = read_identities(load(path))
    assert not identity.carries_ins
    failures = {f.requirement for f in check_document(load(path)) if f.outcome is Outcome.FAIL}
    assert failures == set()
