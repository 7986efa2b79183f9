"""The official ANS example CDAs (../shared, when present) against the INS checks.

Nine of the ten examples carry the ANS test patient PAT-TROIS Dominique (INS-NIR de test
279035121518989) and pass every INS rule. CSE-CS8_2025.01.xml (certificat du 8e jour) truly
breaks three rules with its test matricule 221042545611404:
- INS-01: the key is 04 where 97 − (2210425456114 mod 97) gives 83;
- INS-02: the matricule codes birth year ..21 and birth place 25456, the traits say 2023-04-25
  and COG 75056 (Paris);
- INS-06: the given names are written in mixed case ("Ruth Isabelle", "Ruth"), not as INS traits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dui_conformance.inputs import load
from dui_conformance.ins import check_document
from dui_conformance.model import Outcome

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "ans-examples" / "cda"
KNOWN_BREAKS = {"CSE-CS8_2025.01.xml": {"INS-01", "INS-02", "INS-06"}}

pytestmark = [pytest.mark.shared, pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared absent")]


def _examples():
    return sorted(EXAMPLES.glob("*.xml")) if EXAMPLES.is_dir() else []


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.name)
def test_ans_example_ins(path):
    findings = check_document(load(path), environment="test")
    failing = {f.requirement for f in findings if f.outcome is Outcome.FAIL}
    assert failing == KNOWN_BREAKS.get(path.name, set())
    assert {f.requirement for f in findings if f.outcome is Outcome.PASS} >= {"INS-03", "INS-04", "INS-12"}
