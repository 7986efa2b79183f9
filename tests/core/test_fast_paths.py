"""The cheap ways the checks read a document give what the plain ways gave, node for node.

Locations are memoised per document, XPath expressions compiled once, the CDA header walked once, an
N1 payload stripped by byte translation, a file read in a buffer of its own size, a DOCTYPE found by a
byte search (issue 11): a finding's XPath, line and evidence must not change. Each fast path is compared
here with the plain computation it replaced, on every XML fixture and, when ../shared is there, on the
ANS examples.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from lxml import etree

from dui_conformance.cda.body import _SPACE, _without_space
from dui_conformance.cda.header import HEADER_NODES, header_elements
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.inputs import _read_bounded, load
from dui_conformance.xmlsafe import _PREFIX_OF, NS, XmlDocument, XmlProblem, _doctype_at, readable_path

SHARED_CDA = Path(__file__).resolve().parents[2] / ".." / "shared" / "ans-examples" / "cda"
FIXTURE_XML = sorted(FIXTURES_DIR.rglob("*.xml"))
EXAMPLES = sorted(SHARED_CDA.glob("*.xml")) if SHARED_CDA.is_dir() else []
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


def documents(paths: list[Path]) -> list[XmlDocument]:
    docs = []
    for path in paths:
        try:
            docs.append(load(path).cda)
        except (XmlProblem, ValueError):
            continue  # hostile and malformed fixtures: nothing to locate
    return docs


def _cases():
    return [
        pytest.param(FIXTURE_XML, id="fixtures"),
        pytest.param(
            EXAMPLES,
            id="ans-examples",
            marks=[pytest.mark.shared, pytest.mark.skipif(not EXAMPLES, reason="../shared/ans-examples absent")],
        ),
    ]


@pytest.mark.parametrize("paths", _cases())
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


@pytest.mark.parametrize("paths", _cases())
def test_compiled_xpath_and_header_walk_select_the_same_nodes(paths):
    cdas = [d for d in documents(paths) if d.root.tag == "{urn:hl7-org:v3}ClinicalDocument"]
    assert cdas
    for doc in cdas:
        for local in ("telecom", "addr", "id", "name", "code"):
            assert header_elements(doc, local) == doc.root.xpath(f"{HEADER_NODES}[self::hl7:{local}]", namespaces=NS)
        assert header_elements(doc) == doc.root.xpath(HEADER_NODES, namespaces=NS)
        for expr in (
            "hl7:templateId/@root",
            "hl7:recordTarget/hl7:patientRole/hl7:id[starts-with(@root, '1.2.250')]",
            "//hl7:section/hl7:code",
            "string(hl7:code/@code)",
            "count(//hl7:entry)",
        ):
            assert doc.xpath(expr) == doc.root.xpath(expr, namespaces=NS)


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


@pytest.mark.parametrize("size,limit", [(0, 10), (5, 10), (10, 10), (11, 10), (50, 10), (3, 0)])
def test_bounded_read_reads_what_read_limit_plus_one_read(tmp_path, size, limit):
    path = tmp_path / "f"
    path.write_bytes(b"x" * size)
    with open(path, "rb") as a, open(path, "rb") as b:
        assert _read_bounded(a, limit) == b.read(limit + 1)


@pytest.mark.parametrize("size", [7, 30])
def test_bounded_read_of_a_pipe_without_a_size(size):
    read, write = os.pipe()
    os.write(write, b"y" * size)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        assert _read_bounded(handle, 20) == b"y" * min(size, 21)


def test_doctype_found_where_the_case_insensitive_search_found_it():
    search = re.compile(rb"<!DOCTYPE", re.IGNORECASE).search
    heads = [b"", b"<!", b"<!DOCTYP", b"x<!-- --><!DocType a>", b"<!<!doctype", b"< !DOCTYPE", b"<!\xc4OCTYPE"]
    heads += [path.read_bytes()[:65536] for path in FIXTURE_XML]
    heads += [b"<!-" + b"<!DOCTYPE"[:i] + bytes([v]) + b"<!DOCTYPE"[i + 1 :] for i in range(9) for v in range(256)]
    for head in heads:
        found = search(head)
        assert _doctype_at(head) == (found.start() if found else -1), head[:40]
