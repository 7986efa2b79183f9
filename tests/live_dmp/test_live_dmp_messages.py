"""Messages show both values (issue 7, point 10): a metadata mismatch says what was expected and what was found."""

from __future__ import annotations

import dataclasses
from importlib.resources import files

from dui_conformance.model import Outcome
from dui_conformance.xds import check_iti41, expected_entry
from dui_conformance.xds.build import iti41_request
from dui_conformance.xmlsafe import parse_xml


def test_dmp48_message_shows_both_dates():
    data = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
    exp = expected_entry(parse_xml(data, "dlu"), data, "test")
    wrong = dataclasses.replace(exp, creation_time="19990101000000")
    content_type, body = iti41_request([(data, wrong)])
    failures = [
        f
        for f in check_iti41(content_type, body, "iti41-test", "test")
        if f.requirement == "DMP-48" and f.outcome is Outcome.FAIL
    ]
    assert failures, "la date modifiée doit faire échouer DMP-48"
    message = failures[0].message
    assert exp.creation_time in message and "19990101000000" in message, message
