"""Every INS fixture fails exactly the requirement ids its MANIFEST.toml lists (within scope); unreadable or
hostile input gives a finding."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dui_conformance.inputs import load
from dui_conformance.ins import (
    check_document,
    read_identities,
)
from dui_conformance.model import Outcome

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FOLDERS = ("cda/ins", "hl7v2", "fhir")


def _cases():
    for folder in FOLDERS:
        manifest = tomllib.loads((FIXTURES / folder / "MANIFEST.toml").read_text("utf-8"))
        for entry in manifest["fixture"]:
            yield pytest.param(
                FIXTURES / folder / entry["file"],
                tuple(manifest["scope"]),
                set(entry["fails"]),
                id=f"{folder}/{entry['file']}",
            )


@pytest.mark.parametrize("path, scope, expected", list(_cases()))
def test_fixture_fails_exactly_its_manifest_ids(path, scope, expected):
    findings = check_document(load(path), environment="test")
    failing = {f.requirement for f in findings if f.outcome is Outcome.FAIL and f.requirement.split("-")[0] in scope}
    assert failing == expected
    assert not [f for f in findings if f.outcome is Outcome.ERROR]
    assert all(f.location.file == str(path) for f in findings)


def test_every_fixture_file_is_in_a_manifest():
    for folder in FOLDERS:
        listed = {e["file"] for e in tomllib.loads((FIXTURES / folder / "MANIFEST.toml").read_text("utf-8"))["fixture"]}
        present = {p.name for p in (FIXTURES / folder).iterdir() if p.name != "MANIFEST.toml"}
        assert listed == present, folder


def test_production_environment_flips_ins04():
    valid = check_document(load(FIXTURES / "cda/ins/ins_valide_nom_compose.xml"), environment="production")
    production = check_document(load(FIXTURES / "cda/ins/ins04_oid_production.xml"), environment="production")
    assert {f.requirement for f in valid if f.outcome is Outcome.FAIL} == {"INS-04"}
    assert {f.requirement for f in production if f.outcome is Outcome.FAIL} == set()


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
