"""The CDA body (cda/body.py): an N1 payload stripped of white space by byte translation loses what the regular
expression removed."""

from __future__ import annotations

import re

import pytest

from dui_conformance.cda.body import _SPACE, _without_space


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "QUJD\nREVG",
        " \tQU JD\r\n\x0b\x0c\x1c\x1d\x1e\x1fRA==",
        "QUJD\u00a0REVG",
        "QUJD\u2028\u3000REVG",
        "Q\x85UJD",
        "é QUJD",
    ],
)
def test_n1_payload_loses_the_same_white_space(raw):
    fast = _without_space(raw)
    assert (fast.decode("ascii") if isinstance(fast, bytes) else fast) == _SPACE.sub("", raw)
    assert all(
        re.fullmatch(r"\s", chr(c)) is None or chr(c).encode() in b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f" for c in range(128)
    )
