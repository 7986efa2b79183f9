"""The live DMP checks fail on traffic no reference-DUI defect produces: a feed that sends nothing or
twice, a refused submission, a broken CDA, and defective ITI-41, ITI-18 and ITI-43 requests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from lxml import etree

from dui_conformance.exchanges import Exchange, HttpRequest
from dui_conformance.live.dmp import (
    FeedRun,
    IntegrationRun,
    check_error_kept,
    check_query_requests,
    check_recorded,
    check_retrieve_requests,
    check_single_submission,
)
from dui_conformance.live.driver import DmpAnswer
from dui_conformance.model import Outcome
from dui_conformance.xds import ebrim, expected_entry
from dui_conformance.xds.build import ITI18_ACTION, ITI43_ACTION, iti41_request, q, soap_envelope
from dui_conformance.xds.dmp_requests import FIND_DOCUMENTS
from dui_conformance.xmlsafe import parse_xml

DLU = Path(__file__).resolve().parents[3] / "fixtures" / "cda" / "dmp" / "dlu-valide.xml"
OK = DmpAnswer(201, body={"document_id": "D1", "statut": "envoye"})


def _exchange(n: int, operation: str, content_type: str = "", body: bytes = b"", **data) -> Exchange:
    path = "/dmp/" + operation.replace("-", "").lower()
    sent = HttpRequest.received("POST", path, {"Content-Type": content_type}, body)
    e = Exchange(f"dmp-{n:04d}", "dmp", "2026-01-01T00:00:00Z", sent, operation)
    e.data.update(data)
    return e


def _query(action: str = ITI18_ACTION) -> bytes:
    request = etree.Element(q("query", "AdhocQueryRequest"), nsmap={"query": ebrim.QUERY, "rim": ebrim.RIM})
    adhoc = etree.SubElement(request, q("rim", "AdhocQuery"), id=FIND_DOCUMENTS)
    for name, value in (
        ("$XDSDocumentEntryPatientId", "'248055145412365^^^&1.2.250.1.213.1.4.10&ISO^NH'"),
        ("$XDSDocumentEntryStatus", "('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"),
    ):
        slot = etree.SubElement(adhoc, q("rim", "Slot"), name=name)
        etree.SubElement(etree.SubElement(slot, q("rim", "ValueList")), q("rim", "Value")).text = value
    return soap_envelope(request, action)


def _retrieve(action: str = ITI43_ACTION) -> bytes:
    request = etree.Element(q("xdsb", "RetrieveDocumentSetRequest"), nsmap={"xdsb": ebrim.XDSB})
    node = etree.SubElement(request, q("xdsb", "DocumentRequest"))
    etree.SubElement(node, q("xdsb", "RepositoryUniqueId")).text = "1.2.3"
    etree.SubElement(node, q("xdsb", "DocumentUniqueId")).text = "1.2.4"
    return soap_envelope(request, action)


def _failing(findings) -> set[str]:
    return {f.requirement for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)}


TWICE = [_exchange(1, "ITI-41", status="Success"), _exchange(2, "ITI-41", status="Success")]


@pytest.mark.parametrize("exchanges", [[], TWICE], ids=["aucune", "deux"])
def test_dmp60_fails_unless_exactly_one_submission(exchanges):
    assert _failing(check_single_submission(FeedRun("R1", "248055145412365", True, OK, exchanges, {}))) == {"DMP-60"}


def test_dmp60_fails_on_a_refused_submission_and_on_a_dui_error():
    refused = _exchange(1, "ITI-41", status="Failure", errors=[{"code": "XDSRegistryMetadataError"}])
    assert _failing(check_single_submission(FeedRun("R1", "1", True, OK, [refused], {}))) == {"DMP-60"}
    error = DmpAnswer(409, problem={"title": "Refus"})
    assert _failing(check_single_submission(FeedRun("R1", "1", True, error, [], {}))) == {"DMP-60"}


def test_dmp60_fails_on_a_broken_cda_and_a_wrong_patient():
    broken = DLU.read_bytes().replace(b"<title>Document de liaison d'urgence</title>", b"")
    sent = [_exchange(1, "ITI-41", status="Success")]
    run = FeedRun("R1", "999999999999999", True, OK, sent, {"urn:uuid:x": broken})
    findings = check_single_submission(run)
    assert _failing(findings) == {"DMP-60"}
    assert any("patientId" in f.message for f in findings) and any("CDA" in f.message for f in findings)


def test_recorded_submissions_are_judged_at_their_exchange_and_unevaluated_rules_skip():
    data = DLU.read_bytes()
    exp = expected_entry(parse_xml(data, "dlu"), data, "test")
    wrong = dataclasses.replace(exp, type_code=dataclasses.replace(exp.type_code, code="11488-4"))
    run = FeedRun("R1", "1", True, OK, [_exchange(7, "ITI-41", *iti41_request([(data, wrong)]))], {})
    findings = check_recorded(run, ["DMP-47", "DMP-48"])
    assert {(f.requirement, f.outcome) for f in findings if f.outcome is not Outcome.PASS} == {("DMP-47", Outcome.FAIL)}
    assert {f.requirement for f in findings} == {"DMP-47", "DMP-48"}
    assert {f.location.exchange for f in findings} == {"dmp-0007"}
    unreadable = FeedRun("R1", "1", True, OK, [_exchange(8, "ITI-41", "text/plain", b"")], {})
    assert [(f.requirement, f.outcome) for f in check_recorded(unreadable, ["DMP-47"])] == [("DMP-47", Outcome.SKIP)]


def test_dmp63_is_undecided_when_the_dmp_error_never_happened():
    assert check_error_kept(FeedRun("R1", "1", True, OK, [], {}))[0].outcome is Outcome.SKIP


@pytest.mark.parametrize(
    ("operation", "requirement", "check", "body"),
    [("ITI-18", "DMP-53", check_query_requests, _query), ("ITI-43", "DMP-54", check_retrieve_requests, _retrieve)],
)
def test_request_checks_fail_on_a_defective_request(operation, requirement, check, body):
    wrong = _exchange(1, operation, "application/soap+xml", body(action="urn:autre"))
    run = IntegrationRun("R1", "p", ["u"], DmpAnswer(200, body={}), [wrong], {"R1": []})
    assert _failing(check(run)) == {requirement}
    right = _exchange(2, operation, "application/soap+xml", body())
    clean = IntegrationRun("R1", "p", ["u"], DmpAnswer(200, body={}), [right], {"R1": []})
    assert {f.outcome for f in check(clean)} == {Outcome.PASS}
    assert check(IntegrationRun("R1", "p", [], DmpAnswer(200, body={}), [], {}))[0].outcome is Outcome.SKIP


def test_dmp60_passes_a_cda_whose_only_defect_is_a_peut_kept_under_its_own_id():
    """Issue 17: DMP-55 (PEUT: wrong RPPS and SIRET keys) was wrapped into a DMP-60 failure, which blocked and left the
    scenario's ten other requirements « non évaluée ». It is an avertissement under DMP-55, at the exchange."""
    data = (DLU.parent / "dmp-55-cles-fausses.xml").read_bytes()
    sent = _exchange(1, "ITI-41", *iti41_request([(data, expected_entry(parse_xml(data, "dlu"), data, "test"))]))
    sent.data["status"] = "Success"
    findings = check_single_submission(FeedRun("R1", "248055145412365", True, OK, [sent], {"urn:uuid:x": data}))
    assert [(f.requirement, f.outcome) for f in findings] == [
        ("DMP-60", Outcome.PASS),
        ("DMP-55", Outcome.ADVISORY),
        ("DMP-55", Outcome.ADVISORY),
    ]
    assert {f.location.exchange for f in findings} == {"dmp-0001"}
