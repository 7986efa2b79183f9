"""Every report's bytes, pinned: a made-up run (its own small catalogue, hostile text, a harness error, a
lone surrogate, a finding located in another document) written held in memory and spooled must give
exactly the files the writers gave before they were made cheaper (SHA-256 below, from main at 8373f58;
for ``evidence.zip``, its members: the pack is compressed at zlib level 1 since).

A deliberate change to a report's content changes these digests: print the new ones with
``python tests/conformance/test_report.py`` and say in the commit which report changed and why."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import jsonschema
import pytest
from lxml import etree
from lxml import html as lxml_html

from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import EXIT_OK, Finding, Location, Outcome, RunResult, ScenarioResult, StepResult, exit_code
from dui_conformance.report import ALL_FORMATS, SCHEMA_PATH, ReportContext, json_report, write_reports
from dui_conformance.requirements.catalogue import Catalogue, Requirement
from dui_conformance.results import RunCollector
from dui_conformance.runner import Execution, execute
from dui_conformance.settings import OFFLINE, RunSettings

from ..support.workbooks import sheet_rows

CATALOGUE = Catalogue(
    [
        Requirement("GEN-01", "GEN", "Le document est lisible.", "DOIT", "CI-SIS", breaks_exchange=True),
        Requirement("INS-01", "INS", "L'INS est qualifiée.", "DOIT", "Référentiel INS", official_id="EX_2.1-1010"),
        Requirement("DMP-01", "DMP", "Le type de document est connu.", "PEUT", "DMP"),
        Requirement("MSS-01", "MSS", "Le message est signé.", "DOIT", "MSSanté"),
    ]
)
HOSTILE = 'guillemets " et \\ barre, "findings": [{"x": 1}], "subject": "faux", \x01 contrôle, \t, 🩺\nfin'


def _scenario(
    n: int,
    subject: str,
    feature: str,
    steps: list[StepResult],
    error: str | None = None,
    requirements: tuple[str, ...] = ("GEN-01",),
) -> ScenarioResult:
    return ScenarioResult(
        nodeid=f"features/{feature}.feature::s{n}[{subject}]",
        feature=feature.title(),
        feature_file=f"features/{feature}.feature",
        name=f"Scénario {n}",
        tags=["cda", "hors-ligne"],
        requirements=list(requirements),
        subject=subject,
        steps=steps,
        error=error,
        duration=0.125 * n,
    )


def _run_scenarios() -> list[ScenarioResult]:
    scenarios = []
    for d in range(1, 4):
        doc = f"/export/doc-{d}.xml"
        here = Location(doc, "/ClinicalDocument/id", 12)
        scenarios += [
            _scenario(
                4 * d,
                doc,
                "lecture",
                [
                    StepResult(
                        "Soit", "le document", Outcome.PASS, 0.01, [Finding("GEN-01", Outcome.PASS, "lu", here)]
                    ),
                    StepResult(
                        "Alors",
                        "il est conforme",
                        Outcome.FAIL,
                        0.02,
                        [
                            Finding(
                                "GEN-01", Outcome.FAIL, f"échec {d} : {HOSTILE}", here, evidence=f"<id root='{d}'/>"
                            ),
                            Finding("DMP-01", Outcome.SKIP, "type absent", Location(doc, exchange="ex-1")),
                        ],
                    ),
                ],
            ),
            _scenario(
                4 * d + 1,
                doc,
                "identite",
                [
                    StepResult(
                        "Soit",
                        "l'identité",
                        Outcome.PASS,
                        0.0,
                        [
                            Finding("INS-01", Outcome.PASS, "INS qualifiée", Location(doc, line=3)),
                            Finding("INS-01", Outcome.FAIL, "INS d'un autre document", Location("/export/doc-1.xml")),
                        ],
                    )
                ],
                requirements=("INS-01",),
            ),
            _scenario(
                4 * d + 2, doc, "identite", [StepResult("Alors", "rien", Outcome.SKIP)], requirements=("INS-01",)
            ),
        ]
    scenarios.append(
        _scenario(
            20,
            "/export/doc-2.xml",
            "lecture",
            [StepResult("Soit", "le document", Outcome.ERROR, 0.5, error="Traceback : boum")],
            error="Erreur : boum",
        )
    )
    scenarios.append(
        _scenario(
            21,
            "/export/doc-\udcff.xml",
            "lecture",
            [
                StepResult(
                    "Alors",
                    "illisible",
                    Outcome.FAIL,
                    0.0,
                    [Finding("GEN-01", Outcome.FAIL, "octet \udcff illisible", Location("/export/doc-\udcff.xml"))],
                )
            ],
        )
    )
    return scenarios


def write_all(out: Path, spool: bool) -> dict[str, Path]:
    collector = RunCollector(CATALOGUE, spool=spool)
    collector.extend(_run_scenarios())
    run = RunResult(
        run_id="20260101-000000",
        mode="hors-ligne",
        profile="recette",
        environment="test",
        started="2026-01-01T00:00:00+00:00",
        finished="2026-01-01T00:01:00+00:00",
        inputs=["/export"],
        scenarios=collector.log,
        requirements=collector.requirements("recette"),
        tool={"nom": "dui-conformance", "version": "0.0.0"},
    )
    return write_reports(run, out, context=ReportContext(catalogue=CATALOGUE))


def digests(out: Path, spool: bool) -> dict[str, str]:
    """File name → SHA-256 of every report, and of every member of evidence.zip (whose compressed bytes
    depend on the zlib build; test_result_spool checks that they do not depend on the spool)."""
    found = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in write_all(out, spool).values()
        if path.name not in ("evidence.zip", "rem-preuves.xlsx")  # the workbook's bytes hold its date
    }
    with zipfile.ZipFile(io.BytesIO((out / "evidence.zip").read_bytes())) as pack:
        found.update({f"evidence.zip/{n}": hashlib.sha256(pack.read(n)).hexdigest() for n in pack.namelist()})
    return found


# The same bytes whether the run was held in memory or spooled. Changed on purpose (issue 17): report.json and
# MANIFEST.json by schema 1.1 (the outcome « avertissement », its count in ``counts``, the pack's count of them),
# index.html by the schema version it shows; index.html and summary.md by the one verdict rule for service tiles
# (a service no blocking requirement of which was decided in a profile is « non couvert » there, no longer « non
# concluant »). This run has no avertissement: junit.xml, cucumber.json and findings.jsonl keep their bytes.
# Schema 1.2 (issue 19): report.json, MANIFEST.json, index.html and summary.md gain the view by official id; report.json
# and MANIFEST.json the « referentiel » judged and the pack's « vague »; index.html, summary.md and junit.xml the header
# line or property naming that referential.
PINNED = {
    "cucumber.json": "9ee9e3161e96442f667f74ce7460ced4349a98a52faa438dec2a4f33e5101654",
    "evidence.zip/MANIFEST.json": "95b2815b58bea140fe7b94ce4d4feb59121b1477f6a0376b77be44621289738f",
    "evidence.zip/index.html": "c408392a0b1f80c1c6e65160a89407dea402e13de5ec0066f79b17b282d70217",
    "evidence.zip/report.json": "c6980739293b01e29f3c1eb228a83ac620f4f6a4385708c16f83ca9ea02ced2c",
    "evidence.zip/summary.md": "edbd8016eae83df797b90184d75b1775aed87b5a38e6fc2f71421be32c4f7c8c",
    "findings.jsonl": "1d1555b4d2f9c7d8e43f372e548f6c0b0ffe20738ee991e4bee5200b6ef6316f",
    "index.html": "c408392a0b1f80c1c6e65160a89407dea402e13de5ec0066f79b17b282d70217",
    "junit.xml": "5f45bb9aea7303ae7ab582d84657a62ee6586892b30eeb192182d619a7e549f0",
    "report.json": "c6980739293b01e29f3c1eb228a83ac620f4f6a4385708c16f83ca9ea02ced2c",
    "summary.md": "edbd8016eae83df797b90184d75b1775aed87b5a38e6fc2f71421be32c4f7c8c",
}


@pytest.mark.parametrize("spool", [False, True], ids=["en-memoire", "sur-disque"])
def test_every_report_keeps_its_bytes(tmp_path, monkeypatch, spool):
    monkeypatch.setattr(json_report, "LARGE_RUN", 1)  # findings.jsonl too
    assert digests(tmp_path, spool) == PINNED


if __name__ == "__main__":
    json_report.LARGE_RUN = 1
    with tempfile.TemporaryDirectory() as tmp:
        for spool, key in ((False, "en-memoire"), (True, "sur-disque")):
            print(key, digests(Path(tmp) / key, spool), file=sys.stdout)


def test_all_formats_are_written_without_secrets(run, tmp_path):
    written = write_reports(run, tmp_path / "sortie")
    assert set(written) == set(ALL_FORMATS) == {"json", "html", "junit", "cucumber", "markdown", "evidence", "rem"}
    assert sorted(p.name for p in written.values()) == sorted(
        ["report.json", "index.html", "junit.xml", "cucumber.json", "summary.md", "evidence.zip", "rem-preuves.xlsx"]
    )
    for fmt, path in written.items():
        if fmt not in ("evidence", "rem"):
            assert b"SECRET" not in path.read_bytes(), fmt
    assert "SECRET" not in str(sheet_rows(written["rem"]))


def test_subset_and_unknown_format(failing_run, tmp_path):
    assert list(write_reports(failing_run, tmp_path, ["markdown"])) == ["markdown"]
    assert [p.name for p in tmp_path.iterdir()] == ["summary.md"]
    with pytest.raises(ValueError, match="pdf"):
        write_reports(failing_run, tmp_path, ["json", "pdf"])


def test_empty_run_gives_valid_reports(tmp_path):
    from lxml import etree

    from dui_conformance.model import RunResult
    from dui_conformance.report import load_run, render_html, render_junit, render_markdown

    empty = RunResult("vide", "hors-ligne", "bac-a-sable", "local", "t0", "t1", [], [], [], {"version": "0.1.0"})
    assert load_run(write_reports(empty, tmp_path)["json"]).to_dict() == empty.to_dict()
    assert "Verdict : ? non concluant" in render_html(empty) and "bac à sable" in render_html(empty)
    assert etree.fromstring(render_junit(empty)).get("tests") == "0"
    assert "**non concluant**" in render_markdown(empty)


def test_evidence_packs_the_written_files(failing_run, tmp_path):
    """The pack is made of the reports just written (rendered once), byte for byte."""
    import io
    import zipfile

    from dui_conformance.report import build_evidence

    written = write_reports(failing_run, tmp_path, ["evidence", "json", "html", "markdown"])
    assert list(written)[-1] == "evidence"
    with zipfile.ZipFile(written["evidence"]) as pack:
        for fmt in ("json", "html", "markdown"):
            assert pack.read(written[fmt].name) == written[fmt].read_bytes(), fmt
    # Alone, or without the other formats, the pack has the same bytes as build_evidence's.
    alone = write_reports(failing_run, tmp_path / "seul", ["evidence"])
    assert list(alone) == ["evidence"] and alone["evidence"].read_bytes() == build_evidence(failing_run)
    assert written["evidence"].read_bytes() == build_evidence(failing_run)
    assert zipfile.ZipFile(io.BytesIO(build_evidence(failing_run))).namelist()[:3] == [
        "report.json",
        "index.html",
        "summary.md",
    ]


@pytest.fixture(scope="module")
def advised(tmp_path_factory) -> tuple[RunResult, Path]:
    """The engine on a valid DLU and on the same DLU whose RPPS and SIRET keys are wrong (DMP-55, a PEUT), every
    report written."""
    documents = [FIXTURES_DIR / "cda" / "dmp" / name for name in ("dlu-valide.xml", "dmp-55-cles-fausses.xml")]
    run = execute(Execution(RunSettings(mode="check", inputs=[str(p) for p in documents], phases=[OFFLINE]), jobs=1))
    out = tmp_path_factory.mktemp("avertissements")
    write_reports(run, out)
    return run, out


def test_a_broken_peut_is_an_avertissement_apart_from_failures_in_every_report(advised):
    """Issue 17: advisory findings were listed as failures. A PEUT found broken is an avertissement: the verdict and
    the exit code ignore it, and every report shows it apart from the failures."""
    run, out = advised
    assert run.verdict == "conforme" and exit_code(run) == EXIT_OK
    dmp55 = next(r for r in run.requirements if r.id == "DMP-55")
    assert dmp55.outcome is Outcome.ADVISORY and not dmp55.blocking
    assert [f.outcome for f in dmp55.findings if f.outcome is not Outcome.PASS] == [Outcome.ADVISORY] * 2
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert report["counts"]["advisory"] == 1 and report["counts"]["fail"] == 0
    peut = {r["id"] for r in report["requirements"] if r["level"] == "PEUT"}
    findings = [f for s in report["scenarios"] for step in s["steps"] for f in step["findings"]]
    assert not [f for f in findings if f["outcome"] == "fail"]
    assert {f["requirement"] for f in findings if f["outcome"] == "advisory"} == {"DMP-55"} <= peut
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "### Avertissements (2) — exigences PEUT, hors échecs" in summary and "- **DMP-55** (2)" in summary
    assert "! avertissement |" in summary and "bloquantes non conformes" not in summary
    page = lxml_html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    assert [li.get("data-exigence") for li in page.xpath("//section[@id='avertissements']//li")] == ["DMP-55"]
    assert not page.xpath("//section[@id='bloquants']//article[@data-exigence='DMP-55']")
    junit = etree.parse(str(out / "junit.xml"))
    assert not junit.xpath("//failure") and junit.getroot().get("failures") == "0"
    advice = [t for t in junit.xpath("//system-out/text()") if "[DMP-55] avertissement" in t]
    assert len(advice) == 1 and advice[0].count("[DMP-55] avertissement") == 2
    steps = [s for f in json.loads((out / "cucumber.json").read_text()) for e in f["elements"] for s in e["steps"]]
    assert "failed" not in {s["result"]["status"] for s in steps}
    assert [len(s["output"]) for s in steps if "output" in s] == [2]
    with zipfile.ZipFile(out / "evidence.zip") as pack:
        assert json.loads(pack.read("MANIFEST.json"))["execution"]["avertissements"] == 2
