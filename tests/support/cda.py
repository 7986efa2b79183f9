"""Paths and a helper shared by the CDA tests, unit (tests/conformance) and end-to-end (tests/e2e)."""

from __future__ import annotations

from pathlib import Path

from dui_conformance.model import Outcome

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "cda" / "dmp"
SHARED = ROOT / ".." / "shared" / "ans-examples"


def failing(findings, prefixes=("DMP", "GEN")) -> list[str]:
    return sorted({f.requirement for f in findings if f.outcome is Outcome.FAIL and f.requirement.startswith(prefixes)})
