"""The identity read from a document (ins/identity.py): dates normalised as the INS rules compare them, and
which roots are an INS (the INS-C is not)."""

import pytest

from dui_conformance.ins import (
    Identity,
    normalise_date,
)
from dui_conformance.ins.identity import is_ins_c, is_ins_oid


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


@pytest.mark.parametrize(
    "oid, ins, ins_c",
    [
        ("1.2.250.1.213.1.4.10", True, False),
        ("1.2.250.1.213.1.4.12", True, False),  # unknown under the arc: an attempted INS, INS-03 flags it
        ("1.2.250.1.213.1.4.2", False, True),  # INS-C: obsolete, never an INS
        ("2.25.1", False, False),
        (None, False, False),
    ],
)
def test_root_classification(oid, ins, ins_c):
    assert (is_ins_oid(oid), is_ins_c(oid)) == (ins, ins_c)


def test_trait_rules_apply_only_to_an_ins_authority():
    assert Identity("cda", "p", matricule="1", oid="1.2.250.1.213.1.4.8").is_ins
    assert Identity("hl7v2", "p", matricule="1").is_ins  # INS type code without OID: INS-03 flags the OID
    assert not Identity("cda", "p", matricule="1", oid="1.2.250.1.213.1.4.12").is_ins
    assert not Identity("cda", "p").is_ins
