"""ITI-41 requests (xds/iti41.py): hostile requests give findings, never a crash."""

import pytest

from dui_conformance.model import Outcome
from dui_conformance.xds import check_iti41


@pytest.mark.parametrize(
    "content_type,body",
    [
        ("multipart/related; boundary=x", b"garbage"),
        ('multipart/related; boundary="b"', b"--b\r\nContent-Type: text/plain\r\n\r\npas du XML\r\n--b--"),
        ("application/soap+xml", b"\x00\xff\xfe<<<"),
        ("application/soap+xml", b"<a/>"),
        ("", b""),
        ("multipart/related", b"--"),
    ],
)
def test_hostile_requests_give_findings_not_crashes(content_type, body):
    findings = check_iti41(content_type, body, "hostile")
    assert findings and any(f.outcome is Outcome.FAIL for f in findings)
