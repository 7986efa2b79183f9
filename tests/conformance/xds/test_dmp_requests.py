"""The DMP request checks on synthetic recorded exchanges: a correct ITI-41, ITI-18, ITI-43 or TD0.2 passes its
requirements; a defective one fails DMP-40…50, DMP-53, DMP-54 or DMP-65 at the exchange."""

from __future__ import annotations

import dataclasses
from importlib.resources import files

import pytest
from lxml import etree

from dui_conformance.exchanges import Exchange, HttpRequest
from dui_conformance.mocks.dui.dmp import existence_query
from dui_conformance.model import Outcome
from dui_conformance.xds import ebrim, expected_entry
from dui_conformance.xds.build import ITI18_ACTION, ITI43_ACTION, iti41_request, q, soap_envelope
from dui_conformance.xds.dmp_requests import (
    FIND_DOCUMENTS,
    TD02_ACTION,
    UNKNOWN_DOCUMENT,
    check_dmp_exchange,
    check_existence,
    check_query,
    check_retrieve,
    check_route,
    check_submission,
    read_existence,
    read_query,
    read_retrieve,
)
from dui_conformance.xmlsafe import parse_xml

DLU = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
SOAP = "application/soap+xml"
PID = "248055145412365^^^&1.2.250.1.213.1.4.10&ISO^NH"


def exchange(path: str, content_type: str, body: bytes, method: str = "POST", **data) -> Exchange:
    request = HttpRequest.received(method, path, {"Content-Type": content_type}, body)
    e = Exchange("dmp-0001", "dmp", "2026-01-01T00:00:00Z", request)
    e.data.update(data)
    return e


def failing(findings) -> list[tuple[str, str]]:
    return [(f.requirement, f.message) for f in findings if f.outcome is Outcome.FAIL]


def submission(**changes) -> tuple[str, bytes]:
    exp = dataclasses.replace(expected_entry(parse_xml(DLU, "dlu"), DLU, "test"), **changes)
    return iti41_request([(DLU, exp)])


def query(patient: str = f"'{PID}'", query_id: str = FIND_DOCUMENTS, action: str = ITI18_ACTION) -> bytes:
    request = etree.Element(q("query", "AdhocQueryRequest"), nsmap={"query": ebrim.QUERY, "rim": ebrim.RIM})
    etree.SubElement(request, q("query", "ResponseOption"), returnType="LeafClass")
    adhoc = etree.SubElement(request, q("rim", "AdhocQuery"), id=query_id)
    for name, value in (
        ("$XDSDocumentEntryPatientId", patient),
        ("$XDSDocumentEntryStatus", "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"),
    ):
        slot = etree.SubElement(adhoc, q("rim", "Slot"), name=name)
        etree.SubElement(etree.SubElement(slot, q("rim", "ValueList")), q("rim", "Value")).text = value
    return soap_envelope(request, action, "http://127.0.0.1/dmp/iti18")


def retrieve(*documents: tuple[str, str]) -> bytes:
    request = etree.Element(q("xdsb", "RetrieveDocumentSetRequest"), nsmap={"xdsb": ebrim.XDSB})
    for repository, unique_id in documents:
        node = etree.SubElement(request, q("xdsb", "DocumentRequest"))
        etree.SubElement(node, q("xdsb", "RepositoryUniqueId")).text = repository
        etree.SubElement(node, q("xdsb", "DocumentUniqueId")).text = unique_id
    return soap_envelope(request, ITI43_ACTION, "http://127.0.0.1/dmp/iti43")


# --- route (DMP-40) ---------------------------------------------------------------------------


def test_another_path_or_method_fails_dmp40_with_its_code():
    (unknown,) = check_route(exchange("/dmp/iti99?x=1", SOAP, b""))
    assert (unknown.requirement, unknown.evidence, unknown.location.exchange) == (
        "DMP-40",
        "DMP-CHEMIN-INCONNU",
        "dmp-0001",
    )
    assert "/dmp/iti99" in unknown.message
    (method,) = check_dmp_exchange(exchange("/dmp/iti18", SOAP, b"", method="GET"))
    assert (method.requirement, method.evidence) == ("DMP-40", "DMP-METHODE-HTTP")
    assert check_route(exchange("/dmp/iti41", SOAP, b"")) == []


# --- ITI-41 (DMP-40…50) -----------------------------------------------------------------------


def test_a_conformant_submission_passes_at_its_exchange():
    findings = check_submission(exchange("/dmp/iti41", *submission()))
    assert failing(findings) == []
    assert {"DMP-40", "DMP-41", "DMP-42", "DMP-47", "DMP-50"} <= {f.requirement for f in findings}
    assert {f.location.exchange for f in findings} == {"dmp-0001"}


def test_a_submission_whose_metadata_contradicts_the_cda_fails():
    exp = expected_entry(parse_xml(DLU, "dlu"), DLU, "test")
    wrong = dataclasses.replace(exp.type_code, code="11488-4")
    findings = check_dmp_exchange(exchange("/dmp/iti41", *submission(type_code=wrong)))
    assert {r for r, _ in failing(findings)} == {"DMP-47"}


# --- ITI-18 (DMP-53) --------------------------------------------------------------------------


def test_a_find_documents_query_passes_dmp53():
    record = exchange("/dmp/iti18", SOAP, query())
    assert [(f.requirement, f.outcome) for f in check_query(record)] == [("DMP-53", Outcome.PASS)]
    read = read_query(record.request)
    assert (read.patient_id, read.return_type, read.error) == (PID, "LeafClass", None)


@pytest.mark.parametrize(
    "body, problem",
    [
        (query(patient=PID), "non encadré d'apostrophes"),
        (query(patient="'123'"), "n'est pas un INS"),
        (query(query_id="urn:uuid:autre"), "FindDocuments"),
        (query(action="urn:autre"), "wsa:Action « urn:autre »"),
        (b"<not-closed", "Requête illisible"),
    ],
)
def test_a_defective_query_fails_dmp53(body, problem):
    failures = failing(check_dmp_exchange(exchange("/dmp/iti18", SOAP, body)))
    assert {r for r, _ in failures} == {"DMP-53"}
    assert any(m.startswith("DMP-53 : ") and problem in m for _, m in failures), failures


# --- ITI-43 (DMP-54) --------------------------------------------------------------------------


def test_a_retrieve_of_a_held_document_passes_dmp54():
    record = exchange("/dmp/iti43", SOAP, retrieve(("1.2.3", "1.2.250.1.999.7")), errors=[])
    assert [(f.requirement, f.outcome) for f in check_retrieve(record)] == [("DMP-54", Outcome.PASS)]
    assert read_retrieve(record.request).documents == [("1.2.3", "1.2.250.1.999.7")]


def test_a_retrieve_the_dmp_answered_unknown_fails_dmp54():
    refused = [{"code": UNKNOWN_DOCUMENT, "context": "1.2.404", "message": "document inconnu de l'entrepôt : 1.2.404"}]
    record = exchange("/dmp/iti43", SOAP, retrieve(("1.2.3", "1.2.250.1.999.7"), ("1.2.3", "1.2.404")), errors=refused)
    assert failing(check_retrieve(record)) == [("DMP-54", "DMP-54 : DocumentUniqueId « 1.2.404 » inconnu.")]


def test_a_retrieve_without_document_request_fails_dmp54():
    assert failing(check_dmp_exchange(exchange("/dmp/iti43", SOAP, retrieve()))) == [
        ("DMP-54", "DMP-54 : Aucun xdsb:DocumentRequest dans la requête.")
    ]


# --- TD0.2 (DMP-65) -------------------------------------------------------------------------------------------------


def existence(mutate=None, action: str = TD02_ACTION, matricule: str = "248055145412365") -> bytes:
    """A TD0.2 as the reference DUI sends it (``existence_query``), changed by ``mutate`` (the HL7 v3 root)."""
    root = existence_query(matricule, "1.2.250.1.213.1.4.10")
    if mutate is not None:
        mutate(root)
    return soap_envelope(root, action)


def test_a_correct_existence_test_passes_dmp_65_and_reads_the_ins():
    body = existence()
    read = read_existence(HttpRequest.received("POST", "/dmp/td02", {"Content-Type": SOAP}, body))
    assert (read.problems, read.patient_id) == ([], PID)
    findings = check_dmp_exchange(exchange("/dmp/td02", SOAP, body))
    assert [(f.requirement, f.outcome) for f in findings] == [("DMP-65", Outcome.PASS)]


def _drop(path: str):
    def mutate(root):
        for node in root.xpath(path, namespaces=ebrim.NS):
            node.getparent().remove(node)

    return mutate


def _set(path: str, attribute: str, value: str):
    def mutate(root):
        root.xpath(path, namespaces=ebrim.NS)[0].set(attribute, value)

    return mutate


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (existence(_set("hl7:controlActProcess/hl7:reasonCode", "code", "CNSLT_DATA")), "TEST_EXST"),
        (existence(_set("hl7:interactionId", "extension", "PRPA_IN201305UV02")), "interactionId"),
        (existence(_drop("//hl7:patientIdentifier")), "exactement un INS"),
        (existence(matricule="12345"), "un INS attendu"),
        (existence(action="urn:ihe:iti:2007:RegistryStoredQuery"), "wsa:Action"),
        (soap_envelope(etree.Element("autre"), TD02_ACTION), "PRPA_IN201307UV02"),
    ],
    ids=["motif", "interaction", "sans-ins", "matricule", "action", "autre-message"],
)
def test_a_defective_existence_test_fails_dmp_65(body, expected):
    found = failing(check_existence(exchange("/dmp/td02", SOAP, body)))
    assert [r for r, _ in found] == ["DMP-65"] and expected in found[0][1], found


def test_the_expected_action_is_the_one_the_mock_recorded():
    body = existence(action="urn:autre:action")
    assert failing(check_existence(exchange("/dmp/td02", SOAP, body, action="urn:autre:action"))) == []
