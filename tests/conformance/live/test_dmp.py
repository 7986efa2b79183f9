"""The live DMP checks fail on traffic no reference-DUI defect produces: a feed that sends nothing or
twice, a refused submission, a broken CDA, and defective ITI-41, ITI-18 and ITI-43 requests; for the consultation,
a query before the existence test, a view that invents or forgets documents, an older VSM date."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from lxml import etree

from dui_conformance.exchanges import Exchange, HttpRequest
from dui_conformance.live.dmp import (
    FeedRun,
    IntegrationRun,
    OpeningRun,
    cda_replaces,
    check_error_kept,
    check_existence_on_opening,
    check_existence_requests,
    check_newer_version,
    check_no_second_download,
    check_no_transaction,
    check_query_requests,
    check_recorded,
    check_retrieve_requests,
    check_single_submission,
    check_tested_before_feed,
    check_view,
    check_vsm,
)
from dui_conformance.live.driver import DmpAnswer
from dui_conformance.live.personas import DmpProfile
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


# --- Consultation (vague 2): DMP-65…70 on traffic and views no reference-DUI defect produces ---------------------

PATIENT = "248055145412365^^^&1.2.250.1.213.1.4.10&ISO^NH"
OPENED = DmpAnswer(200, body={})
HELD = [
    {"uniqueId": "2.25.1", "typeCode": "74207-2", "creationTime": "20261201101500"},
    {"uniqueId": "2.25.2", "typeCode": "SYNTH", "creationTime": "20260105093000"},
    {"uniqueId": "2.25.3", "typeCode": "SYNTH", "creationTime": "20261120143000"},
]
VIEW = {
    "insQualifiee": True,
    "statutDmp": "ouvert",
    "documents": [{"uniqueId": h["uniqueId"]} for h in HELD],
    "vsm": {"disponible": True, "date": "20261120143000"},
}


def _opening(exchanges=(), view=None, profile=None, qualified=True, answer=OPENED) -> OpeningRun:
    return OpeningRun(
        "R1", PATIENT, qualified, profile or DmpProfile(), answer, list(exchanges), view or dict(VIEW), list(HELD)
    )


def _outcomes(findings) -> list[tuple[str, Outcome]]:
    return [(f.requirement, f.outcome) for f in findings]


def test_the_correct_view_passes_the_view_and_vsm_checks():
    run = _opening([_exchange(1, "TD0.2", patient_id=PATIENT), _exchange(2, "ITI-18")])
    assert _outcomes(check_existence_on_opening(run) + check_view(run) + check_vsm(run)) == [
        ("DMP-66", Outcome.PASS),
        ("DMP-68", Outcome.PASS),
        ("DMP-69", Outcome.PASS),
    ]


def test_a_query_before_the_existence_test_or_on_another_ins_fails_dmp_66():
    early = _opening([_exchange(1, "ITI-18"), _exchange(2, "TD0.2", patient_id=PATIENT)])
    assert "avant le test d'existence" in check_existence_on_opening(early)[0].message
    other = _opening([_exchange(1, "TD0.2", patient_id="X^^^&1.2.250.1.213.1.4.10&ISO^NH")])
    assert _outcomes(check_existence_on_opening(other)) == [("DMP-66", Outcome.FAIL)]
    refused = _opening(answer=DmpAnswer(502, problem={"title": "Erreur du DMP"}))
    assert _outcomes(check_existence_on_opening(refused)) == [("DMP-66", Outcome.FAIL)]


def test_a_view_that_invents_or_forgets_documents_fails_dmp_68():
    invented = dict(VIEW, documents=[*VIEW["documents"], {"uniqueId": "2.25.99"}])
    assert "2.25.99" in check_view(_opening(view=invented))[0].message
    forgotten = dict(VIEW, documents=VIEW["documents"][1:], insQualifiee=False)
    assert [f.message[:20] for f in check_view(_opening(view=forgotten))] == [
        "INS qualifiée montré",
        "Document 2.25.1 du D",
    ]
    refused = _opening(profile=DmpProfile(state="refuse"))  # shown as open, with a list
    assert len([f for f in check_view(refused) if f.outcome is Outcome.FAIL]) == 2


def test_an_older_vsm_date_fails_dmp_69_and_no_vsm_is_shown_as_unavailable():
    older = dict(VIEW, vsm={"disponible": True, "date": "20260105093000"})
    assert _outcomes(check_vsm(_opening(view=older))) == [("DMP-69", Outcome.FAIL)]
    run = _opening(view=dict(VIEW, vsm={"disponible": False, "date": None}))
    run.held = HELD[:1]
    assert _outcomes(check_vsm(run)) == [("DMP-69", Outcome.PASS)]


def test_any_transaction_or_a_list_under_opposition_fails_dmp_67():
    opposed = DmpProfile(opposition=True)
    quiet = _opening(view={"statutDmp": "opposition", "documents": None}, profile=opposed)
    assert _outcomes(check_no_transaction(quiet)) == [("DMP-67", Outcome.PASS)]
    assert _outcomes(check_existence_on_opening(quiet) + check_view(quiet)) == [
        ("DMP-66", Outcome.OMIT),
        ("DMP-68", Outcome.OMIT),
    ]
    noisy = _opening([_exchange(1, "TD0.2")], view=dict(VIEW), profile=opposed)
    assert len(check_no_transaction(noisy)) == 2
    unqualified = _opening(view={"statutDmp": "non-interroge", "documents": None}, qualified=False)
    assert _outcomes(check_no_transaction(unqualified)) == [("DMP-67", Outcome.PASS)]


def test_a_feed_tested_on_another_ins_fails_dmp_70_and_no_test_leaves_dmp_65_undecided():
    body = iti41_request(
        [(DLU.read_bytes(), expected_entry(parse_xml(DLU.read_bytes(), "dlu"), DLU.read_bytes(), "test"))]
    )
    submitted = _exchange(2, "ITI-41", *body, status="Success", stored=["urn:uuid:1"])
    tested = _exchange(1, "TD0.2", patient_id="X^^^&1.2.250.1.213.1.4.10&ISO^NH")
    run = FeedRun("R1", "248055145412365", True, OK, [tested, submitted], {})
    assert _outcomes(check_tested_before_feed(run)) == [("DMP-70", Outcome.FAIL)]
    assert _outcomes(check_existence_requests([submitted])) == [("DMP-65", Outcome.SKIP)]


def _integration(retrieved: list[str], received: list[dict]) -> IntegrationRun:
    exchanges = [_exchange(1, "ITI-43", retrieved=retrieved)] if retrieved else []
    return IntegrationRun("R1", PATIENT, [], DmpAnswer(200, body={}), exchanges, {"R1": received})


def test_a_second_download_or_a_document_filed_twice_fails_dmp_71():
    first = _integration(["2.25.1"], [{"uniqueId": "2.25.1"}])
    clean = _integration(["2.25.2"], [{"uniqueId": "2.25.1"}, {"uniqueId": "2.25.2"}])
    assert _outcomes(check_no_second_download(first, clean)) == [("DMP-71", Outcome.PASS)]
    again = _integration(["2.25.1", "2.25.2"], [{"uniqueId": "2.25.1"}, {"uniqueId": "2.25.1"}])
    assert [f.message[:30] for f in check_no_second_download(first, again)] == [
        "Document 2.25.1 déjà intégré, ",
        "Document 2.25.1 rangé 2 fois d",
    ]
    assert _outcomes(check_no_second_download(_integration([], []), clean)) == [("DMP-71", Outcome.SKIP)]


def test_a_newer_version_not_signalled_or_another_one_fails_dmp_72():
    marked = _integration([], [{"uniqueId": "2.25.1", "remplacePar": "2.25.2"}, {"uniqueId": "2.25.2"}])
    assert _outcomes(check_newer_version(marked, "2.25.1", "2.25.2")) == [("DMP-72", Outcome.PASS)]
    assert _outcomes(check_newer_version(marked, "2.25.1", "2.25.3")) == [("DMP-72", Outcome.FAIL)]
    assert "absent du dossier" in check_newer_version(marked, "2.25.9", "2.25.2")[0].message


def test_a_replacing_cda_names_what_it_replaces():
    root = etree.fromstring(DLU.read_bytes())
    related = etree.Element("{urn:hl7-org:v3}relatedDocument", typeCode="RPLC")
    etree.SubElement(etree.SubElement(related, "{urn:hl7-org:v3}parentDocument"), "{urn:hl7-org:v3}id", root="2.25.1")
    root.find("{urn:hl7-org:v3}componentOf").addprevious(related)
    assert cda_replaces(etree.tostring(root)) == ["2.25.1"] and cda_replaces(DLU.read_bytes()) == []
