"""MTOM/XOP splitting (xds/mtom.py): nesting bounded before parsing, the start part known, declared types kept."""

import pytest

from dui_conformance.xds.mtom import MAX_MULTIPARTS, MtomProblem, is_xml_type, multipart_declarations, parse_mtom

from .conftest import _valid_parts, nested


def test_valid_request_names_its_root_and_part_types():
    _, _, msg = _valid_parts()
    assert msg.start_found and msg.type_of("cid:doc1@dui-conformance") == "text/xml"
    assert msg.type_of("http://ailleurs/doc1") is None and msg.resolve("cid:absent") is None


@pytest.mark.parametrize("parameter", ["boundary", "boundary*", "BOUNDARY*0"])
def test_nesting_is_refused_before_parsing_whatever_the_parameter_syntax(parameter):
    content_type, body = nested(1_000, parameter)
    assert multipart_declarations(content_type.encode() + body) == 1_000
    with pytest.raises(MtomProblem, match="1000 déclarations de limite multipart"):
        parse_mtom(content_type, body)


def test_nesting_within_the_bound_is_read():
    content_type, body = nested(MAX_MULTIPARTS - 1)
    assert parse_mtom(content_type, body).start_found is False  # "<r>" names no part


def test_rfc2231_continuations_count_once():
    assert multipart_declarations(b"boundary*0=a; boundary*1=b; boundary*=utf-8''c; boundary=d") == 3


@pytest.mark.parametrize(
    "media_type,xml",
    [
        ("text/xml", True),
        ("Application/XML; charset=UTF-8", True),
        ("application/hl7-v3+xml", True),
        ("application/dicom", False),
        ("application/pdf", False),
        ("application/octet-stream", False),
    ],
)
def test_xml_media_types(media_type, xml):
    assert is_xml_type(media_type) is xml
