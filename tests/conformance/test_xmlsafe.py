"""The one XML parser refuses hostile input and points findings at readable XPaths; its memoised
locations give what the plain computations gave. The DOCTYPE is decided by the parser, wherever it is and in
whatever encoding; every hostile input is generated here, bounded, and parsed under a guard thread."""

from __future__ import annotations

import os
import random
import socket
import threading

import pytest
from lxml import etree

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.xmlsafe import _PREFIX_OF, XmlDocument, XmlProblem, parse_xml, readable_path

from ..support.documents import cases, documents

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


LONG_COMMENT = b"<!--" + b"x" * 70_000 + b"-->\n"  # past the 64 KiB a head scan looked at
URANDOM_ENTITY = b'<!DOCTYPE r [<!ENTITY % p SYSTEM "/dev/urandom"> %p;]>\n'


def guarded_parse(data: bytes, **limits) -> XmlProblem | XmlDocument:
    """parse_xml in a daemon thread: a regression that spins makes the test fail, not the suite hang."""
    outcome: list = []

    def parse():
        try:
            outcome.append(parse_xml(data, "hostile.xml", **limits))
        except XmlProblem as problem:
            outcome.append(problem)

    thread = threading.Thread(target=parse, daemon=True)
    thread.start()
    thread.join(60)
    assert outcome, "analyse sans fin"
    return outcome[0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_late_doctype_with_an_external_parameter_entity_is_refused_without_opening_it(encoding):
    text = ('<?xml version="1.0" encoding="%s"?>\n' % encoding).encode() + LONG_COMMENT + URANDOM_ENTITY + b"<r/>"
    problem = guarded_parse(text.decode().encode(encoding))
    assert isinstance(problem, XmlProblem) and problem.kind == "doctype"
    assert problem.line == (3 if encoding == "utf-8" else None)  # located by a search where the bytes allow it


def test_late_internal_entity_never_reaches_the_checks():
    data = LONG_COMMENT + b'<!DOCTYPE r [<!ENTITY nir "2840599999999">]>\n<r extension="&nir;"/>'
    problem = guarded_parse(data)
    assert isinstance(problem, XmlProblem) and problem.kind == "doctype"
    assert "avec des déclarations d'entités" in problem.message and "2840599999999" not in problem.message


def test_a_local_dtd_is_never_opened(tmp_path):
    dtd = tmp_path / "local.dtd"
    os.mkfifo(dtd)  # opening it would block: the guard would fail the test
    problem = guarded_parse(LONG_COMMENT + b'<!DOCTYPE r SYSTEM "' + str(dtd).encode() + b'">\n<r/>')
    assert isinstance(problem, XmlProblem) and problem.kind == "doctype"
    assert f"vers « {dtd} » (non ouvert)" in problem.message


def test_documents_past_the_element_limit_are_refused_before_their_tree_is_built():
    many = b"<r>" + b"<a/>" * 400 + b"</r>"
    problem = guarded_parse(many, max_elements=100)
    assert isinstance(problem, XmlProblem) and problem.kind == "too-large" and "100 éléments" in problem.message
    assert isinstance(guarded_parse(many, max_elements=401), XmlDocument)  # 400 children and the root
