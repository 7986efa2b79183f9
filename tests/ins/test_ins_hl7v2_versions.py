"""A message of an HL7 v2 version hl7apy does not ship is still read (no false GEN-01)."""

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import load
from dui_conformance.ins import check_structure, read_identities

VALID = FIXTURES_DIR / "hl7v2" / "adt_a28_ins_qual.hl7"


@pytest.mark.parametrize("version", [b"2.6", b"2.9", b"2.10"])
def test_unknown_versions_are_read_like_the_newest_known_one(tmp_path, version):
    data = VALID.read_bytes()
    assert b"|2.5^FRA^2.11|" in data
    path = tmp_path / "message.hl7"
    path.write_bytes(data.replace(b"|2.5^FRA^2.11|", b"|" + version + b"^FRA^2.11|", 1))
    identities, problems = read_identities(load(path))
    assert problems == [] and len(identities) == 1 and identities[0].carries_ins
    assert {f.outcome.value for f in check_structure(load(path))} == {"pass"}
