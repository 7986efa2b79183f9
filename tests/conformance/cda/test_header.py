"""The CDA header read once (cda/header.py): the header walk and the compiled XPath select what the plain XPath
selected, on every XML fixture and the ANS examples."""

from __future__ import annotations

import pytest

from dui_conformance.cda.header import HEADER_NODES, header_elements
from dui_conformance.xmlsafe import NS

from ...support.documents import cases, documents


@pytest.mark.parametrize("paths", cases())
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
