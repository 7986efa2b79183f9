"""The MSSanté mock's directory (mocks/mss/directory.py): its data is consistent."""

import pytest

from dui_conformance.mocks.mss import Directory, luhn_valid


def test_directory_data_is_consistent():
    directory = Directory.load()
    assert {b.type for b in directory.mailboxes()} == {"PER", "ORG", "APP", "CAB"}
    assert all(luhn_valid(p["rpps"]) and p["identifiant_national"] == "8" + p["rpps"] for p in directory.professionals)
    assert all(luhn_valid(s["finess"]) for s in directory.structures)
    with pytest.raises(ValueError):
        Directory.load('[[professionnel]]\nid="x"\nrpps="10000001016"\nidentifiant_national="810000001016"\n')
