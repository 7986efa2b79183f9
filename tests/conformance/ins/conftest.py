"""Shared builders for the INS unit tests."""

from __future__ import annotations

import dataclasses

import pytest

from dui_conformance.ins import Identity, expected_key
from dui_conformance.model import Outcome, worst


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
