"""Statements match checks (issue 7, point 8): what a statement enumerates is the data its check uses."""

from __future__ import annotations

import pytest

from dui_conformance.cda.context import load_models
from dui_conformance.live.ins import RNIV
from dui_conformance.requirements import load_catalogue
from dui_conformance.xds.expected import mapping

STATEMENTS = {r.id: r.statement for r in load_catalogue()}


def test_dmp22_lists_every_section_the_dlu_check_requires():
    dlu = next(m for m in load_models() if m["key"] == "DLU")
    missing = [s["loinc"] for s in dlu["sections"] if s["loinc"] not in STATEMENTS["DMP-22"]]
    assert not missing, f"DMP-22 n'énumère pas les sections {missing} que la vérification exige"


def test_ins24_and_ins25_name_the_rniv_statuses_their_checks_use():
    assert set(RNIV.values()) == {"PROV", "RECUP", "VALI", "QUAL"}
    assert all(status in STATEMENTS["INS-25"] for status in RNIV.values())
    assert all(status in STATEMENTS["INS-24"] for status in ("VALI", "PROV"))


@pytest.mark.parametrize("attribute", mapping()["vihf"]["required"])
def test_dmp44_lists_every_required_vihf_attribute(attribute):
    assert attribute.rsplit(":", 1)[-1] in STATEMENTS["DMP-44"]
