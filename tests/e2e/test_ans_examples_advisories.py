"""``check`` on the official ANS examples (../shared/ans-examples/cda): their advisory findings are counted apart.

Issue 17: the PEUT findings on the official examples (DMP-55: RPPS and SIREN numbers whose Luhn key is wrong) were
listed as failures in every report. A PEUT found broken is an avertissement: no failure is a PEUT's, and each report
counts the avertissements apart (report.json, summary.md, junit.xml, cucumber.json, the pack's manifest, the console).
"""

from __future__ import annotations

import json
import zipfile

import pytest
from lxml import etree

from ..support.cda import SHARED

EXAMPLES = SHARED / "cda"
pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(
        not EXAMPLES.is_dir() or not any(EXAMPLES.glob("*.xml")), reason="../shared/ans-examples absent"
    ),
]


def test_no_failure_is_a_peut_and_avertissements_are_counted_apart(cli):
    run = cli("check", str(EXAMPLES), name="ans-avertissements")
    assert run.code in (0, 3), run.stderr
    report = run.report
    peut = {r["id"] for r in report["requirements"] if r["level"] == "PEUT"}
    findings = [f for r in report["requirements"] for f in r["findings"]]
    assert not [f for f in findings if f["outcome"] == "fail" and f["requirement"] in peut]
    advice = [f for f in findings if f["outcome"] == "advisory"]
    assert advice and {f["requirement"] for f in advice} <= peut
    assert report["counts"]["advisory"] == len({f["requirement"] for f in advice})
    assert not [r for r in report["requirements"] if r["level"] == "PEUT" and r["outcome"] == "fail"]
    out = run.report_dir
    assert f"### Avertissements ({len(advice)}) — exigences PEUT" in (out / "summary.md").read_text(encoding="utf-8")
    with zipfile.ZipFile(out / "evidence.zip") as pack:
        assert json.loads(pack.read("MANIFEST.json"))["execution"]["avertissements"] == len(advice)
    failures = " ".join(etree.parse(str(out / "junit.xml")).xpath("//failure/@message | //failure/text()"))
    assert not [rid for rid in peut if f"[{rid}]" in failures]
    cucumber = json.loads((out / "cucumber.json").read_text(encoding="utf-8"))
    steps = [s for feature in cucumber for element in feature["elements"] for s in element["steps"]]
    failed = " ".join(s["result"].get("error_message", "") for s in steps if s["result"]["status"] == "failed")
    assert not [rid for rid in peut if f"[{rid}]" in failed]
    assert sum(len(s.get("output", [])) for s in steps) >= len(advice)  # each, in its document's step
    assert f"{len(advice)} avertissement(s) : exigences PEUT, comptées à part des échecs" in " ".join(
        run.stderr.split()
    )
