"""INS-10 and INS-11: RNIV status."""

from __future__ import annotations

import pytest

from dui_conformance.ins import check_ins_requires_qual, check_status, check_status_unambiguous
from dui_conformance.ins import identity as ins_identity
from dui_conformance.model import Outcome
from dui_conformance.requirements import load_catalogue

PAM = ins_identity.PAM_FR_0445
STRICT, FIABILITE, LEGACY = ins_identity.CS_IDENTITY_STATUS, ins_identity.CS_FIABILITE, ins_identity.CS_V2_0445


@pytest.mark.parametrize(
    "status, expected",
    [
        ("VALI", Outcome.PASS),
        ("QUAL", Outcome.FAIL),
        ("RECUP", Outcome.FAIL),
        ("PROV", Outcome.FAIL),
        (None, Outcome.SKIP),
    ],
)
def test_hl7v2_qualified_identity_is_vali_with_the_ins(ident, outcome, status, expected):
    """PAM FR 2.11.2 (facts §7.2): VALI with an INS in PID-3 is a qualified identity; it has no QUAL."""
    findings = check_ins_requires_qual(ident(status=status, status_system=PAM if status else None))
    assert outcome(findings) is expected
    if expected is Outcome.FAIL:
        assert "VALI attendu" in findings[0].message and "PAM France 2.11.2" in findings[0].message


@pytest.mark.parametrize(
    "system, status, ins10, ins15",
    [
        (STRICT, "QUAL", Outcome.PASS, Outcome.PASS),
        (FIABILITE, "QUAL", Outcome.PASS, Outcome.PASS),
        (STRICT, "VALI", Outcome.FAIL, Outcome.PASS),
        (FIABILITE, "VALI", Outcome.FAIL, Outcome.PASS),
        (STRICT, "RECUP", Outcome.FAIL, Outcome.PASS),
        (STRICT, "PROV", Outcome.FAIL, Outcome.PASS),
        (LEGACY, "VALI", Outcome.PASS, Outcome.FAIL),  # ambiguous: a warning, INS-10 does not fail
        (None, "VALI", Outcome.PASS, Outcome.FAIL),
        (LEGACY, "PROV", Outcome.FAIL, Outcome.PASS),
    ],
)
def test_fhir_status_is_read_with_its_code_system(ident, outcome, system, status, ins10, ins15):
    identity = ident(source_kind="fhir", status=status, status_system=system)
    assert outcome(check_ins_requires_qual(identity)) is ins10
    warning = check_status_unambiguous(identity)
    assert outcome(warning) is ins15
    if ins15 is Outcome.FAIL:
        assert "pas de code QUAL" in warning[0].message and "non bloquant" in warning[0].message


def test_ins_15_is_advisory():
    req = load_catalogue()["INS-15"]
    assert req.level == "PEUT" and not req.blocking


@pytest.mark.parametrize(
    "system, status, expected",
    [
        (PAM, "PROV", Outcome.PASS),
        (PAM, "VALI", Outcome.PASS),
        (PAM, "QUAL", Outcome.FAIL),
        (PAM, "RECUP", Outcome.FAIL),
        (LEGACY, "QUAL", Outcome.FAIL),
        (FIABILITE, "RECUP", Outcome.PASS),
        ("http://example.org/statuts", "QUAL", Outcome.FAIL),
    ],
)
def test_status_valid_in_its_code_system(ident, outcome, system, status, expected):
    findings = check_status(
        ident(status=status, status_system=system, source_kind="fhir" if system != PAM else "hl7v2")
    )
    assert outcome(findings) is expected


def test_ins_10_without_ins_or_status_format(ident, outcome):
    assert outcome(check_ins_requires_qual(ident(matricule=None, status="PROV"))) is Outcome.OMIT
    finding = check_ins_requires_qual(ident(source_kind="cda", status=None))[0]
    assert finding.outcome is Outcome.OMIT and "cda" in finding.message


@pytest.mark.parametrize(
    "status, attributes, expected",
    [
        ("QUAL", (), Outcome.PASS),
        ("PROV", ("DOUT",), Outcome.PASS),
        ("PROV", ("FICT",), Outcome.PASS),
        ("PROV", ("VIDE",), Outcome.PASS),
        ("PROV", ("DOUT", "FICT"), Outcome.FAIL),
        ("VALI", ("DOUT",), Outcome.FAIL),
        ("QUAL", ("FICT",), Outcome.FAIL),
        ("QUAL", ("RECUP",), Outcome.FAIL),
        ("CONF", (), Outcome.FAIL),
    ],
)
def test_status_values_and_attributes(ident, outcome, status, attributes, expected):
    findings = check_status(ident(status=status, attributes=attributes))
    assert outcome(findings) is expected and {f.requirement for f in findings} == {"INS-11"}


def test_missing_status(ident, outcome):
    assert outcome(check_status(ident(status=None))) is Outcome.FAIL
    assert outcome(check_status(ident(status=None, matricule=None))) is Outcome.OMIT
    assert outcome(check_status(ident(status=None, source_kind="cda"))) is Outcome.OMIT
