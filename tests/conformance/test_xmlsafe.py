"""The one XML parser refuses hostile input and points findings at readable XPaths; its memoised
locations and its DOCTYPE search give what the plain computations gave."""

from __future__ import annotations

import random
import re
import socket

import pytest
from lxml import etree

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.xmlsafe import _PREFIX_OF, XmlDocument, XmlProblem, _doctype_at, parse_xml, readable_path

from ..support.documents import FIXTURE_XML, cases, documents

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


MIXED = (
    b'<a xmlns:x="urn:x"><!--c--><b/><?pi x?><b/><x:b/><b xmlns="urn:y"/><c/><x:b/><b/>'
    b'<r xmlns="urn:hl7-org:v3"><id/><!--x--><id/><o xmlns=""><id/><id/></o><q:id xmlns:q="urn:q"/></r></a>'
)


def plain_path(node, strict: bool = False) -> str:
    """The path as computed before the memo: every sibling of the same tag listed at every step."""
    steps = []
    while node is not None and isinstance(node.tag, str):
        qname = etree.QName(node)
        prefix = _PREFIX_OF.get(qname.namespace or "")
        name = f"{prefix}:{qname.localname}" if prefix else qname.localname
        if strict and not prefix and qname.namespace:
            name = f"*[local-name()='{qname.localname}']"
        parent = node.getparent()
        if parent is not None:
            same = [s for s in parent if s.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


@pytest.mark.parametrize("paths", cases())
def test_memoised_locations_are_the_plain_paths(paths):
    docs = documents(paths) + [XmlDocument(tree=etree.ElementTree(etree.fromstring(MIXED)), path="m.xml", base="/x:b")]
    assert len(docs) > 5
    rng = random.Random(11)
    for doc in docs:
        nodes = list(doc.root.iter())
        rng.shuffle(nodes)  # any order of first use: a memoised ancestor or not
        for node in nodes:
            where = doc.locate(node)
            assert (where.xpath, where.line) == (doc.base + plain_path(node), node.sourceline), doc.path
            if isinstance(node.tag, str):
                assert readable_path(node, strict=True) == plain_path(node, strict=True)
        for attribute in doc.root.xpath("//@*")[:40]:
            assert (
                doc.locate(attribute).xpath == doc.base + plain_path(attribute.getparent()) + "/@" + attribute.attrname
            )


def test_doctype_found_where_the_case_insensitive_search_found_it():
    search = re.compile(rb"<!DOCTYPE", re.IGNORECASE).search
    heads = [b"", b"<!", b"<!DOCTYP", b"x<!-- --><!DocType a>", b"<!<!doctype", b"< !DOCTYPE", b"<!\xc4OCTYPE"]
    heads += [path.read_bytes()[:65536] for path in FIXTURE_XML]
    heads += [b"<!-" + b"<!DOCTYPE"[:i] + bytes([v]) + b"<!DOCTYPE"[i + 1 :] for i in range(9) for v in range(256)]
    for head in heads:
        found = search(head)
        assert _doctype_at(head) == (found.start() if found else -1), head[:40]
