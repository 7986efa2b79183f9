"""ITI-41 requests (xds/iti41.py): hostile requests give findings, never a crash."""

import pytest

from dui_conformance.model import Outcome
from dui_conformance.xds import check_iti41

from .conftest import _valid_parts, nested


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


def _findings(content_type: str, body: bytes):
    return {(f.requirement, f.outcome) for f in check_iti41(content_type, body, "requete")}


def _failures(content_type: str, body: bytes):
    return {r for r, outcome in _findings(content_type, body) if outcome is Outcome.FAIL}


def test_start_naming_no_part_fails_dmp41():
    content_type, body, _ = _valid_parts()
    assert _failures(content_type, body) == set()
    wrong = content_type.replace("<root.message@dui-conformance>", "<absente@dui-conformance>")
    findings = check_iti41(wrong, body, "requete")
    assert {f.requirement for f in findings if f.outcome is Outcome.FAIL} == {"DMP-41"}
    assert any("absente@dui-conformance" in f.message and "attendu" in f.message for f in findings)


def test_thousand_nested_multiparts_are_a_finding_not_a_crash():
    assert _failures(*nested(1_000)) == {"DMP-41"}


DICOM = b"\x00" * 128 + b"DICM" + bytes(range(256)) * 4  # a DICOM Part 10 preamble, then binary


@pytest.mark.parametrize("media_type", ["application/dicom", "application/pdf", "application/octet-stream"])
def test_non_xml_document_is_not_parsed_as_xml(media_type):
    """The DocumentEntry declares a DICOM (PDF…) document: its part is no malformed XML (issue 17, item 9)."""
    content_type, body, _ = _valid_parts()
    head, _, rest = body.partition(b"Content-Type: text/xml")
    part_head, _, tail = rest.partition(b"\r\n\r\n")
    document = tail[: tail.index(b"\r\n--MIMEBoundary_fixture--")]
    body = head + f"Content-Type: {media_type}".encode() + part_head + b"\r\n\r\n" + DICOM + tail[len(document) :]
    body = body.replace(b'mimeType="text/xml"', f'mimeType="{media_type}"'.encode())
    findings = _findings(content_type, body)
    assert ("GEN-01", Outcome.FAIL) not in findings and ("DMP-46", Outcome.SKIP) in findings
    assert {r for r, outcome in findings if outcome is Outcome.FAIL} == set()


def test_xml_document_in_an_octet_stream_part_is_still_read_as_its_entry_says():
    content_type, body, _ = _valid_parts()
    body = body.replace(b"Content-Type: text/xml", b"Content-Type: application/octet-stream")
    assert ("DMP-46", Outcome.PASS) in _findings(content_type, body)


def test_an_xml_entry_whose_part_is_not_xml_is_malformed_xml():
    content_type, body, _ = _valid_parts()
    start = body.index(b"<?xml", body.index(b"Content-ID: <doc1@dui-conformance>"))
    body = body[:start] + DICOM + body[body.index(b"\r\n--MIMEBoundary_fixture--") :]
    assert ("GEN-01", Outcome.FAIL) in _findings(content_type, body)
