"""The check of a message the MSSanté operator recorded (SMTP DATA): a conformant DLU passes, a message
without X-MSS-CODECDA fails MSS-03 at the exchange, exactly as the same message offline."""

from __future__ import annotations

from importlib.resources import files

from dui_conformance.exchanges import Exchange, HttpRequest
from dui_conformance.model import Outcome
from dui_conformance.mss import check_message_data
from dui_conformance.mss.submission import check_submission, is_acknowledgement, message_findings

FIXTURES = files("dui_conformance.fixtures") / "mss"


def submitted(fixture: str, method: str = "SMTP", path: str = "DATA") -> Exchange:
    data = (FIXTURES / fixture).read_bytes()
    return Exchange("mss-0001", "mss", "2026-01-01T00:00:00Z", HttpRequest.received(method, path, {}, data, 1024))


def test_a_conformant_message_passes_at_its_exchange():
    findings = check_submission(submitted("message-dlu-valide.eml"))
    assert findings and {f.outcome for f in findings} <= {Outcome.PASS, Outcome.OMIT}
    assert {"MSS-01", "MSS-02", "MSS-03", "MSS-06"} <= {f.requirement for f in findings if f.outcome is Outcome.PASS}
    assert {f.location.exchange for f in findings} == {"mss-0001"}


def test_a_message_without_codecda_fails_mss03_with_its_id_as_evidence():
    record = submitted("message-codecda-absent.eml")
    (failure,) = [f for f in check_submission(record) if f.outcome is Outcome.FAIL]
    assert (failure.requirement, failure.evidence, failure.location.exchange) == ("MSS-03", "MSS-03", "mss-0001")
    (offline,) = [f for f in message_findings(record) if f.outcome is Outcome.FAIL]
    assert failure.message == f"MSS-03 : {offline.message}"


def test_the_whole_message_is_judged_even_when_its_recorded_text_is_shortened():
    record = submitted("message-codecda-absent.eml")
    data = (FIXTURES / "message-codecda-absent.eml").read_bytes()
    assert len(record.request.body) == 1024 and record.request.content() == data
    offline = [(f.requirement, f.outcome, f.message) for f in check_message_data(data, "mss-0001")]
    assert [(f.requirement, f.outcome, f.message) for f in message_findings(record)] == offline


def test_only_submissions_are_judged():
    assert check_submission(submitted("message-codecda-absent.eml", "IMAP", "LOGIN")) == []


def test_an_acknowledgement_is_known_as_such():
    """The DUI's MDN is no message sent that should ask for one (RFC 8098 §2.1); a DLU is, a login neither."""
    assert is_acknowledgement(submitted("mdn-traite.eml"))
    assert not is_acknowledgement(submitted("message-dlu-valide.eml"))
    assert not is_acknowledgement(submitted("mdn-traite.eml", "IMAP", "LOGIN"))
    assert not is_acknowledgement(submitted("mime-imbrication.eml"))


def test_an_acknowledgement_that_requests_one_fails_mss08_at_its_exchange():
    assert {f.requirement for f in check_submission(submitted("mdn-traite.eml")) if f.outcome is Outcome.FAIL} == set()
    failures = [f for f in check_submission(submitted("mdn-demande-accuse.eml")) if f.outcome is Outcome.FAIL]
    assert [f.requirement for f in failures] == ["MSS-08"] and "Disposition-Notification-To" in failures[0].message
