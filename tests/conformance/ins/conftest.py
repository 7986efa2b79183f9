"""Shared builders for the INS unit tests (the fixtures below, and helpers the test modules import)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dui_conformance.inputs import load
from dui_conformance.ins import Identity, expected_key
from dui_conformance.model import Outcome, worst

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
NIR = "142072123104565"  # the matricule of the INS fixtures' qualified identity


def with_key(body13: str) -> str:
    return body13 + f"{expected_key(body13 + '00'):02d}"


# A fictitious qualified identity (test OID), consistent in every trait.
BASE = Identity(
    source_kind="hl7v2",
    path="mem.hl7",
    matricule=with_key("1420721231045"),
    oid="1.2.250.1.213.1.4.10",
    birth_family="LEBRUN-D'ALMEIDA",
    given_list="JEAN-BAPTISTE LOUIS",
    first_given="JEAN-BAPTISTE",
    birth_date="1942-07-14",
    sex="M",
    birth_place="21231",
    status="QUAL",
)


@pytest.fixture
def keyed():
    """``keyed(body13)`` → a 15-character matricule with its valid key."""
    return with_key


@pytest.fixture
def ident():
    """``ident(**changes)`` → a copy of the base identity with some fields changed."""
    return lambda **changes: dataclasses.replace(BASE, **changes)


def combined(findings) -> Outcome:
    """The most severe outcome; a check must never return an empty list."""
    assert findings, "a check must never return an empty list"
    return worst(f.outcome for f in findings)


@pytest.fixture
def outcome():
    return combined


def failing(findings, scope="INS"):
    return {f.requirement for f in findings if f.outcome is Outcome.FAIL and f.requirement.startswith(scope)}


def document(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path)
