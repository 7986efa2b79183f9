"""The VIHF identity of a submission (psc/vihf.py): an unreadable submission gives an empty identity."""

from dui_conformance import psc


def test_unreadable_submission_gives_an_empty_identity():
    assert psc.vihf_identity("multipart/related; boundary=x", b"\x00<<", "x") == {
        "NameID": None,
        "role": None,
        "Secteur_Activite": None,
    }
