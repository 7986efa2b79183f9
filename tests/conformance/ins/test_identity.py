"""The identity read from a document (ins/identity.py): dates normalised as the INS rules compare them."""

import pytest

from dui_conformance.ins import (
    normalise_date,
)


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
