"""The live DMP checks fail on traffic no reference-DUI defect produces: a feed that sends nothing or
twice, a refused submission, a broken CDA, and ITI-18/ITI-43 requests the DMP mock flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

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

DLU = Path(__file__).resolve().parents[2] / "fixtures" / "cda" / "dmp" / "dlu-valide.xml"
OK = DmpAnswer(201, body={"document_id": "D1", "statut": "envoye"})


def _exchange(n: int, operation: str, **data) -> Exchange:
    e = Exchange(f"dmp-{n:04d}", "dmp", "2026-01-01T00:00:00Z", HttpRequest("POST", "/dmp", {}, ""), operation)
    e.data.update(data)
    return e


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


def test_recorded_findings_keep_their_requirement_and_point_at_the_exchange():
    finding = {"requirement": "DMP-47", "outcome": "fail", "message": "typeCode", "file": "f"}
    run = FeedRun("R1", "1", True, OK, [_exchange(7, "ITI-41", findings=[finding])], {})
    findings = check_recorded(run, ["DMP-47", "DMP-48"])
    assert [(f.requirement, f.outcome) for f in findings] == [("DMP-47", Outcome.FAIL), ("DMP-48", Outcome.SKIP)]
    assert findings[0].location.exchange == "dmp-0007"


def test_dmp63_is_undecided_when_the_dmp_error_never_happened():
    assert check_error_kept(FeedRun("R1", "1", True, OK, [], {}))[0].outcome is Outcome.SKIP


@pytest.mark.parametrize(
    ("operation", "requirement", "check"),
    [("ITI-18", "DMP-53", check_query_requests), ("ITI-43", "DMP-54", check_retrieve_requests)],
)
def test_request_checks_fail_on_flagged_deviations(operation, requirement, check):
    flagged = _exchange(1, operation)
    flagged.flag(requirement, "wsa:Action absente", requirement)
    run = IntegrationRun("R1", "p", ["u"], DmpAnswer(200, body={}), [flagged], {"R1": []})
    assert _failing(check(run)) == {requirement}
    clean = IntegrationRun("R1", "p", ["u"], DmpAnswer(200, body={}), [_exchange(2, operation)], {"R1": []})
    assert {f.outcome for f in check(clean)} == {Outcome.PASS}
    assert check(IntegrationRun("R1", "p", [], DmpAnswer(200, body={}), [], {}))[0].outcome is Outcome.SKIP
