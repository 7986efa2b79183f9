"""INS-14 (FHIR Patient): where the INS sits in a Patient resource."""

import copy
import json
import subprocess
import sys

import pytest

from dui_conformance.documents import check_readable
from dui_conformance.inputs import load
from dui_conformance.ins import (
    check_document,
    check_fhir_patient,
    fhir_patient,
    read_fhir,
)
from dui_conformance.ins.fhir_patient import MAX_DEPTH, document_patients, patients, stream_patients
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
    assert skipped[0].location.xpath.count(".") == MAX_DEPTH
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
    assert len(patients(data)) == 5  # a count of persons (usage) is not capped
    findings = check_fhir_patient(data, "b.json")
    (skipped,) = [f for f in findings if f.outcome is Outcome.SKIP]
    assert skipped.message.startswith("5 ressources Patient") and skipped.location.xpath == "Bundle.entry[2].resource"


SHAPES = [
    VALID_FHIR,
    _in("DocumentReference", contained=[VALID_FHIR, _in("Practitioner")], status="current"),
    _in(
        "Parameters",
        parameter=[
            {"name": "p", "resource": VALID_FHIR},
            {"name": "l", "part": [{"name": "b", "resource": _in("Bundle", entry=[{"resource": VALID_FHIR}])}]},
        ],
    ),
    _in(
        "Bundle",
        entry=[
            {"resource": _in("DocumentReference", contained=[VALID_FHIR])},
            {"response": {"outcome": _in("OperationOutcome")}},
            "pas un objet",
            {"resource": _in("Bundle", entry=[{"resource": VALID_FHIR}])},
        ],
    ),
    {"entry": [{"resource": VALID_FHIR}], "resourceType": "Bundle"},  # resourceType last: read whole, same result
    [VALID_FHIR],  # not a resource
]


@pytest.mark.parametrize("data", SHAPES)
def test_streamed_reading_is_the_tree_reading(data):
    assert stream_patients(json.dumps(data, indent=1)) == fhir_patient.find_patients(data)


@pytest.mark.parametrize(
    "text",
    [
        '{"resourceType": "Bundle", "entry": [{}, ]}',
        '{"resourceType": "Bundle", "entry": [{}]} {}',
        '{"resourceType": "Bundle" "entry": []}',
        '{"resourceType": "Bundle", "entry": [' + "[" * 100_000 + "]" * 100_000 + "]}",
        '{"resourceType": "Bundle", "entry": [{}]',
        '{"resourceType": "Bundle", "entry": [{}],}',
        '{"resourceType": "Bundle", "entry": [,]}',
        '{1: "Bundle"}',
        "",
    ],
)
def test_streamed_reading_rejects_what_json_rejects(text):
    with pytest.raises(ValueError):
        stream_patients(text)


def test_xml_reading_is_the_json_reading():
    """Same Patients, same locations, same identities, from the JSON and the XML form of one Bundle."""
    json_doc, xml_doc = (load(FIXTURES / f"fhir/iti65_bundle_patient_contenu.{ext}") for ext in ("json", "xml"))
    from_json, from_xml = document_patients(json_doc), document_patients(xml_doc)
    assert (
        [w for w, _ in from_xml.found] == [w for w, _ in from_json.found] == ["Bundle.entry[1].resource.contained[0]"]
    )
    assert from_xml.types == from_json.types
    identities = [read_fhir(found, "f").pop() for found in (from_json, from_xml)]
    assert identities[0].matricule == identities[1].matricule and identities[0].where == identities[1].where


def test_xml_patient_that_fhir_cannot_read_fails_ins14(tmp_path):
    path = tmp_path / "bundle.xml"
    path.write_text(
        '<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><resource><Parameters>'
        '<parameter><name value="p"/><part><name value="q"/><resource><Patient><birthDate value="1999-13-45"/>'
        "</Patient></resource></part></parameter></Parameters></resource></entry></Bundle>",
        "utf-8",
    )
    doc = load(path)
    assert [(f.requirement, f.outcome) for f in check_readable(doc)] == [("GEN-01", Outcome.PASS)]
    (finding,) = check_fhir_patient(document_patients(doc), str(path))
    assert finding.outcome is Outcome.FAIL and "birthDate" in finding.message
    assert finding.location.xpath == "Bundle.entry[0].resource.parameter[0].part[0].resource"


def test_unknown_xml_resource_type_fails_gen01(tmp_path):
    path = tmp_path / "x.xml"
    path.write_text('<Ressource xmlns="http://hl7.org/fhir"><id value="1"/></Ressource>', "utf-8")
    (finding,) = check_readable(load(path))
    assert finding.outcome is Outcome.FAIL and "de type inconnu « Ressource »" in finding.message


def test_one_reading_per_document():
    doc = load(FIXTURES / "fhir/iti65_bundle_patient_contenu.json")
    check_readable(doc)
    first = document_patients(doc)
    check_document(doc)
    assert document_patients(doc) is first and "inputs.json" not in doc._derived


def test_large_bundle_is_read_in_bounded_time(tmp_path):
    """20 000 entries, 1 200 Patients among them (over MAX_PATIENTS): the run ends, the surplus is reported
    (INS-14 non concluant). The timeout is a guard against a hang, not a measure (benchmarks/bench_fhir.py)."""
    entries = [{"resource": _in("Observation", status="final", code={"text": "poids"})}] * 18_800
    entries += [{"resource": _in("DocumentReference", contained=[VALID_FHIR], status="current")}] * 1_200
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "lot.json").write_text(json.dumps(_in("Bundle", type="collection", entry=entries)), "utf-8")
    argv = [sys.executable, "-m", "dui_conformance", "check", str(tmp_path / "in"), "-q", "--formats", "json"]
    done = subprocess.run([*argv, "--report-dir", str(tmp_path / "out")], capture_output=True, timeout=300)
    assert done.returncode == 3, done.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    (ins14,) = [r for r in report["requirements"] if r["id"] == "INS-14"]
    assert any(f["outcome"] == "skip" and f["message"].startswith("1200 ressources Patient") for f in ins14["findings"])


def test_an_ins_c_in_a_fhir_patient_is_reported_once_as_obsolete_never_judged_as_the_ins(tmp_path):
    """Like the CDA and HL7 v2 readers: an INS-C (root .4.2) is named obsolete by INS-03, no INS rule applies to it."""
    data = _patient(lambda p: p["identifier"][1].update(system="urn:oid:1.2.250.1.213.1.4.2"))
    path = tmp_path / "ins-c.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    findings = check_document(load(path))
    obsolete = [f for f in findings if "INS-C" in f.message and "obsolète" in f.message]
    assert [f.requirement for f in obsolete] == ["INS-03"] and obsolete[0].outcome is not Outcome.FAIL
    assert "identifier[1]" in obsolete[0].location.xpath
