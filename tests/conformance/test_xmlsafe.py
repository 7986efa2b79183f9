"""The one XML parser refuses hostile input and points findings at readable XPaths."""

import socket

import pytest

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.xmlsafe import XmlProblem, parse_xml, readable_path

HOSTILE = FIXTURES_DIR / "hostile"


@pytest.mark.parametrize("name", ["xxe-fichier.xml", "xxe-reseau.xml", "bombe-entites.xml"])
def test_doctype_and_entities_are_refused_without_network(name, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("accès réseau tenté")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(XmlProblem) as exc:
        parse_xml((HOSTILE / name).read_bytes(), name)
    assert exc.value.kind == "doctype"
    assert "DOCTYPE" in exc.value.message
    assert exc.value.line == 2


def test_wrong_encoding_is_a_problem_with_a_line():
    with pytest.raises(XmlProblem) as exc:
        parse_xml((HOSTILE / "encodage-faux.xml").read_bytes(), "x.xml")
    assert exc.value.line == 2


def test_size_cap():
    with pytest.raises(XmlProblem) as exc:
        parse_xml(b"<a>" + b"x" * 100 + b"</a>", "x.xml", max_bytes=50)
    assert exc.value.kind == "too-large"


def test_readable_path_and_line():
    doc = parse_xml(
        b'<ClinicalDocument xmlns="urn:hl7-org:v3">\n<id root="1"/>\n<recordTarget><patientRole>'
        b'<id root="a"/>\n<id root="b"/></patientRole></recordTarget></ClinicalDocument>',
        "doc.xml",
    )
    node = doc.xpath("//hl7:patientRole/hl7:id")[1]
    location = doc.locate(node)
    assert location.xpath == "/hl7:ClinicalDocument/hl7:recordTarget/hl7:patientRole/hl7:id[2]"
    assert location.line == 4
    assert doc.xpath(location.xpath) == [node]
    attr = doc.xpath("//hl7:patientRole/hl7:id/@root")[0]
    assert doc.locate(attr).xpath.endswith("hl7:id[1]/@root")
    assert readable_path(doc.root) == "/hl7:ClinicalDocument"
