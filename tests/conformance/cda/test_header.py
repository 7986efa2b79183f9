"""The CDA header read once (cda/header.py): the header walk and the compiled XPath select what the plain XPath
selected, on every XML fixture and the ANS examples; the identifier keys (DMP-55)."""

from __future__ import annotations

import pytest

from dui_conformance.cda.header import HEADER_NODES, check_id_keys, header_elements
from dui_conformance.model import Outcome
from dui_conformance.xmlsafe import NS, parse_xml

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


def _header(ids: str):
    return parse_xml(
        f'<ClinicalDocument xmlns="urn:hl7-org:v3"><author><assignedAuthor>{ids}</assignedAuthor>'
        "</author></ClinicalDocument>".encode(),
        "mem.xml",
    )


@pytest.mark.parametrize(
    "ident, expected",
    [
        ('<id root="1.2.250.1.71.4.2.1" extension="801234567897"/>', Outcome.PASS),  # RPPS, Luhn
        ('<id root="1.2.250.1.71.4.2.1" extension="801234567893"/>', Outcome.FAIL),
        ('<id root="1.2.250.1.71.4.2.2" extension="1750803447"/>', Outcome.PASS),  # FINESS
        ('<id root="1.2.250.1.71.4.2.2" extension="1750803448"/>', Outcome.FAIL),
        ('<id root="1.2.250.1.71.4.2.2" extension="2732829320"/>', Outcome.PASS),  # SIREN
        ('<id root="1.2.250.1.71.4.2.2" extension="335600000000048"/>', Outcome.PASS),  # La Poste head office
        ('<id root="1.2.250.1.71.4.2.2" extension="335600000000051"/>', Outcome.PASS),  # La Poste, sum % 5
        ('<id root="1.2.250.1.71.4.2.2" extension="335600000000052"/>', Outcome.FAIL),
        ('<id root="1.2.250.1.71.4.2.1" extension="00B1057294"/>', Outcome.OMIT),  # ADELI: no key rule
    ],
)
def test_identifier_keys(ident, expected):
    findings = check_id_keys(_header(ident), None)
    assert {f.outcome for f in findings} == {expected}
    if expected is Outcome.FAIL:
        assert "§7.5" in findings[0].message and "non bloquant" in findings[0].message
