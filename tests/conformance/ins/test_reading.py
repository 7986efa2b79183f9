"""Readers: CDA recordTarget, HL7 v2 PID, FHIR Patient → Identity; unreadable input → finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import load
from dui_conformance.ins import (
    check_document,
    check_structure,
    load_rules,
    normalise_date,
    read_fhir,
    read_hl7v2,
    read_identities,
)
from dui_conformance.model import Outcome

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
NIR = "142072123104565"
PID = (
    "PID|1||IPP1^^^EHPAD&2.25.1&ISO^PI~{ins}||LEBRUN-D'ALMEIDA^JEAN-BAPTISTE^JEAN-BAPTISTE LOUIS^^^^L~"
    "LEBRUN^JB^^^^^D||19420714|M|||^^DIJON^^^^BDL^^21231|||||||||||||||||||N||{status}"
)
MSH = "MSH|^~\\&|DUI|EHPAD|RCV|FAC|20250312101500||ADT^A28^ADT_A05|{n}|P|2.5^FRA^2.11|||||FRA|UNICODE UTF-8"


def message(n=1, ins=f"{NIR}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS", status="QUAL", sep="\r"):
    return sep.join([MSH.format(n=n), "EVN||20250312101500", PID.format(ins=ins, status=status), "PV1|1|N"]) + sep


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("19420714", "1942-07-14"),
        ("194207141230+0100", "1942-07-14"),
        ("194207", "1942-07"),
        ("1942", "1942"),
        ("1942-07-14", "1942-07-14"),
        ("1942-07", "1942-07"),
        ("14/07/1942", "14/07/1942"),
        (None, None),
    ],
)
def test_normalise_date(raw, expected):
    assert normalise_date(raw) == expected


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


def test_hl7v2_reader_fields_and_locations():
    [identity], errors = read_hl7v2(message(), "m.hl7")
    assert errors == []
    assert (identity.matricule, identity.oid, identity.status) == (NIR, "1.2.250.1.213.1.4.10", "QUAL")
    assert (identity.first_given, identity.given_list, identity.birth_place) == (
        "JEAN-BAPTISTE",
        "JEAN-BAPTISTE LOUIS",
        "21231",
    )
    assert identity.where["matricule"].xpath == "PID-3[2].1" and identity.where["matricule"].line == 3
    assert identity.where["birth_place"].xpath == "PID-11[1].9"


def test_hl7v2_mllp_framing_and_several_messages():
    text = "\x0b" + message(1) + "\x1c\r" + "\x0b" + message(2, status="PROV~DOUT") + "\x1c\r"
    identities, errors = read_hl7v2(text, "m.hl7")
    assert errors == [] and [i.status for i in identities] == ["QUAL", "PROV"]
    # Line 5 holds the frame end (FS CR): the second PID is on line 8, as an editor shows it.
    assert identities[1].attributes == ("DOUT",) and identities[1].where["identity"].line == 8


@pytest.mark.parametrize("sep", ["\n", "\r\n"])
def test_hl7v2_line_feed_separators(sep):
    [identity], errors = read_hl7v2(message(sep=sep), "m.hl7")
    assert errors == [] and identity.status == "QUAL" and identity.where["identity"].line == 3


def test_hl7v2_legacy_nh_type_is_read_as_ins():
    [identity], _ = read_hl7v2(message(ins=f"{NIR}^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^NH"), "m")
    assert identity.carries_ins


def test_hl7v2_known_ins_oid_wins_over_ins_c():
    ins = f"0093876492823371705143^^^ASIP-SANTE-INS-C&1.2.250.1.213.1.4.6&ISO^NH~{NIR}^^^X&1.2.250.1.213.1.4.10&ISO^INS"
    [identity], _ = read_hl7v2(message(ins=ins), "m")
    assert identity.matricule == NIR and identity.where["matricule"].xpath == "PID-3[3].1"


def test_hl7v2_further_given_names_mode(tmp_path):
    rules_file = tmp_path / "r.toml"
    rules_file.write_text('[hl7v2]\ngiven_list_component = "further"\n')
    [identity], _ = read_hl7v2(message(), "m", load_rules(rules_file))
    assert identity.given_list == "JEAN-BAPTISTE JEAN-BAPTISTE LOUIS"


def test_hl7v2_iso_8859_1_file():
    doc = load(FIXTURES / "hl7v2/adt_a28_iso8859_1.hl7")
    [identity], findings = read_identities(doc)
    assert doc.text[1] == "iso-8859-1" and findings == [] and identity.birth_place == "99341"


@pytest.mark.parametrize(
    "text",
    [
        "MSH|garbage\rPID|1\r",
        "MSH\r",
    ],
)
def test_unreadable_hl7v2_becomes_gen01(tmp_path, text):
    path = tmp_path / "bad.hl7"
    path.write_bytes(text.encode())
    identities, findings = read_identities(load(path))
    assert identities == [] and [(f.requirement, f.outcome) for f in findings] == [("GEN-01", Outcome.FAIL)]
    assert {f.outcome for f in check_document(load(path)) if f.requirement.startswith("INS")} <= {
        Outcome.OMIT,
        Outcome.SKIP,
    }


def test_fhir_bundle_reader_paths():
    data = json.loads((FIXTURES / "fhir/bundle_patients.json").read_text("utf-8"))
    qualified, provisional = read_fhir(data, "b.json")
    assert (qualified.status, qualified.sex, qualified.birth_place) == ("QUAL", "F", "2A004")
    assert qualified.where["matricule"].xpath == "Bundle.entry[0].resource.identifier[1].value"
    assert not provisional.carries_ins and provisional.status == "PROV"


@pytest.mark.parametrize(
    "name, content, req",
    [
        (
            "xxe.xml",
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<ClinicalDocument xmlns="urn:hl7-org:v3">&x;</ClinicalDocument>',
            "GEN-02",
        ),
        ("broken.xml", b'<ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget></ClinicalDocument>', "GEN-01"),
        ("broken.json", b'{"resourceType": "Patient", ', "GEN-01"),
    ],
)
def test_hostile_or_broken_input_gives_a_finding(tmp_path, name, content, req):
    path = tmp_path / name
    path.write_bytes(content)
    doc = load(path)
    identities, findings = read_identities(doc)
    assert identities == [] and [f.requirement for f in findings] == [req]
    results = check_document(doc)
    assert {f.requirement for f in results if f.outcome is Outcome.FAIL} == {req}


def test_other_kinds_carry_no_identity(tmp_path):
    path = tmp_path / "other.xml"
    path.write_bytes(b"<root/>")
    assert read_identities(load(path)) == ([], [])
    assert {f.outcome for f in check_document(load(path))} == {Outcome.OMIT}


def test_ins_identifier_without_value_still_fails_ins01(tmp_path):
    cda = (FIXTURES / "cda/ins/ins_valide_nom_compose.xml").read_text("utf-8")
    path = tmp_path / "no_ext.xml"
    path.write_text(cda.replace(f'extension="{NIR}" ', ""), encoding="utf-8")
    [identity], _ = read_identities(load(path))
    assert identity.carries_ins and identity.matricule == ""
    [hl7], _ = read_hl7v2(message(ins="^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS"), "m")
    assert hl7.carries_ins and hl7.matricule == ""
    failing = {f.requirement for f in check_document(load(path)) if f.outcome is Outcome.FAIL}
    assert failing == {"INS-01"}


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
