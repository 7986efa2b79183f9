"""MSS-10 beyond the fixtures: the acknowledged message known in live mode, and a repeated Original-Message-ID."""

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
