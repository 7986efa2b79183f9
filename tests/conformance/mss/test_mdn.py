"""MSS-10 beyond the fixtures: the acknowledged message known in live mode, and a repeated Original-Message-ID;
MSS-08: an MDN that requests an MDN."""

from __future__ import annotations

from pathlib import Path

from dui_conformance.model import Location, Outcome
from dui_conformance.mss import check_mdn, parse_message

VALID = Path(__file__).resolve().parents[3] / "fixtures" / "mss" / "mdn-traite.eml"
ORIGINAL = "<dlu-20240312-0001@ehpad-les-tilleuls.mssante.fr>"


def _mss10(data: bytes, acknowledged: str | None = None):
    return [
        f for f in check_mdn(parse_message(data), Location(file="accusé"), acknowledged) if f.requirement == "MSS-10"
    ]


def test_acknowledged_message_known_in_live_mode():
    data = VALID.read_bytes()
    assert [f.outcome for f in _mss10(data, ORIGINAL)] == [Outcome.PASS]
    assert [f.outcome for f in _mss10(data, " <dlu-20240312-0001@ehpad-les-tilleuls.mssante.fr>\r\n")] == [Outcome.PASS]
    [finding] = _mss10(data, "<autre-envoi@ehpad-les-tilleuls.mssante.fr>")
    assert finding.outcome is Outcome.FAIL
    assert f"Original-Message-ID {ORIGINAL} : attendu <autre-envoi@" in finding.message


def test_repeated_original_message_id_fails():
    data = VALID.read_bytes().replace(
        f"Original-Message-ID: {ORIGINAL}".encode(),
        f"Original-Message-ID: {ORIGINAL}\r\nOriginal-Message-ID: <x@y.fr>".encode(),
    )
    [finding] = _mss10(data)
    assert finding.outcome is Outcome.FAIL and "un seul identifiant" in finding.message


def test_message_id_compared_case_sensitively():
    data = VALID.read_bytes().replace(b"\r\nMessage-ID: <dlu-20240312-0001@", b"\r\nMessage-ID: <DLU-20240312-0001@")
    [finding] = _mss10(data)
    assert finding.outcome is Outcome.FAIL and "trouvé Message-ID <DLU-" in finding.message


def test_an_mdn_must_not_request_an_mdn():
    ok = check_mdn(parse_message(VALID.read_bytes()), Location(file="mdn"))
    assert [f.outcome for f in ok if f.requirement == "MSS-08"] == [Outcome.PASS]
    bad = check_mdn(parse_message((VALID.parent / "mdn-demande-accuse.eml").read_bytes()), Location(file="mdn"))
    (finding,) = [f for f in bad if f.requirement == "MSS-08"]
    assert finding.outcome is Outcome.FAIL and "Disposition-Notification-To" in finding.message
