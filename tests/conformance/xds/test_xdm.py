"""DMP-56 is a setting (mapping.toml [xdm_without_ins], UNVERIFIED): it can be switched off or given another type."""

from __future__ import annotations

from pathlib import Path

import pytest

from dui_conformance.model import Outcome
from dui_conformance.xds import check_xdm
from dui_conformance.xds.expected import mapping

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "xds"


def _dmp56(name: str):
    return [f for f in check_xdm(str(FIXTURES / name)) if f.requirement == "DMP-56"]


@pytest.fixture
def rule(monkeypatch):
    def change(**values):
        for key, value in values.items():
            monkeypatch.setitem(mapping()["xdm_without_ins"], key, value)

    return change


def test_switched_off_the_rule_is_not_applicable(rule):
    rule(required=False)
    [finding] = _dmp56("xdm-sans-ins-type-nh.zip")
    assert finding.outcome is Outcome.OMIT and "required = false" in finding.message


def test_the_local_type_code_is_read_from_the_mapping(rule):
    assert [f.outcome for f in _dmp56("xdm-sans-ins-valide.zip")] == [Outcome.PASS]
    rule(type_code="MR")
    [finding] = _dmp56("xdm-sans-ins-valide.zip")
    assert finding.outcome is Outcome.FAIL and "« PI » au lieu de MR" in finding.message


def test_with_an_ins_no_local_identifier_is_asked():
    assert [f.outcome for f in _dmp56("xdm-valide.zip")] == [Outcome.OMIT]
