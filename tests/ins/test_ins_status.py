"""INS-10 and INS-11: RNIV status."""

from __future__ import annotations

import pytest

from dui_conformance.ins import check_ins_requires_qual, check_status
from dui_conformance.model import Outcome


@pytest.mark.parametrize(
    "status, expected",
    [
        ("QUAL", Outcome.PASS),
        ("RECUP", Outcome.FAIL),
        ("VALI", Outcome.FAIL),
        ("PROV", Outcome.FAIL),
        (None, Outcome.SKIP),
    ],
)
def test_ins_only_when_qualified(ident, outcome, status, expected):
    assert outcome(check_ins_requires_qual(ident(status=status))) is expected


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
