"""The view by official id (issue 19): report.json's ``official`` section, the HTML table, summary.md and
rem-preuves.xlsx, keyed on the built-in mapping, a vendor's, or a REM's ids."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace

import jsonschema
import pytest
from openpyxl import Workbook

from dui_conformance.model import Outcome, RequirementResult, passed
from dui_conformance.report import SCHEMA_PATH, ReportContext, official, write_reports
from dui_conformance.report.official import REM_COLUMNS, load_keying
from dui_conformance.requirements import load_catalogue
from dui_conformance.requirements.official import OfficialError
from dui_conformance.requirements.rem import HEADERS, RemError, read_rem
from dui_conformance.results import RunCollector

from ...support.official import FORMULA, official_run, official_scenarios
from ...support.reports import HOSTILE
from ...support.workbooks import sheet_rows


def _write(tmp_path, spool=False, formats=("json", "html", "markdown", "evidence", "rem"), context=None):
    out = tmp_path / ("disque" if spool else "memoire")
    written = write_reports(official_run(tmp_path / "export", spool), out, formats, context)
    return written, json.loads(written["json"].read_text(encoding="utf-8")) if "json" in written else None


def test_report_json_has_the_view_by_official_id(tmp_path):
    written, report = _write(tmp_path)
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert report["schema_version"] == "1.2"
    ids = report["official"]["ids"]
    assert report["official"]["keyed_on"] == {"correspondances": "official.toml (intégré)", "referentiel_rem": None}
    acr = ids["SC.PSC.08"]
    assert (acr["outcome"], acr["label"], acr["couverture"]) == ("pass", "conforme", "complete")
    assert (acr["referential"], acr["status"], acr["provisoire"], acr["draft_status"]) == (
        "SC vague 2 Squash export",
        "projet",
        True,
        "UNDER_REVIEW",
    )
    (req,) = acr["requirements"]
    (scenario,) = req["scenarios"]
    assert (req["id"], scenario["number"], scenario["name"], scenario["runs"]) == (
        "PSC-01",
        "SC.PSC.08.01",
        "Demande d'autorisation",
        1,
    )
    (proof,) = scenario["proofs"]
    assert proof["number"] == "SC.PSC.08.01.01" and proof["exchange"] == "psc-0001"
    assert proof["member"] == "echanges/0001-psc-0001.json"
    # partial overlap: the same passing requirement, said « couverture partielle »
    modes = ids["SC.PSC.01"]
    assert (modes["outcome"], modes["couverture"], modes["label"]) == (
        "pass",
        "partielle",
        "conforme (couverture partielle)",
    )
    assert modes["requirements"][0]["notes"] and modes["requirements"][0]["scenarios"][0]["number"] == "SC.PSC.01.01"
    # failing, on a document: file, XPath, line, and the document's member in the pack
    ins = ids["SC.MSS/CONF.14"]
    assert ins["outcome"] == "fail" and ins["label"] == "non conforme"
    (proof,) = ins["requirements"][0]["scenarios"][0]["proofs"]
    assert (proof["number"], proof["outcome"], proof["xpath"], proof["line"], proof["member"]) == (
        "SC.MSS/CONF.14.01.01",
        "fail",
        "/en-têtes/X-MSS-INS",
        3,
        "documents/export/message.eml",
    )
    assert ids["ECO.2.4.2"]["status"] == "non verifie"  # a third party's mapping lowers the status
    # never run: « non évaluée », no scenario
    listing = ids["SC.DMP/UX.14"]
    assert (listing["outcome"], listing["couverture"]) == ("not_run", "partielle")
    assert listing["requirements"][0]["scenarios"] == []
    # the evidence pack holds the members the view names
    with zipfile.ZipFile(written["evidence"]) as pack:
        assert {"echanges/0001-psc-0001.json", "documents/export/message.eml"} <= set(pack.namelist())


def test_without_evidence_pack_proofs_name_no_member(tmp_path):
    _, report = _write(tmp_path, formats=("json",))
    proof = report["official"]["ids"]["SC.PSC.08"]["requirements"][0]["scenarios"][0]["proofs"][0]
    assert "member" not in proof


def test_a_spooled_run_gives_the_same_section(tmp_path):
    memory, report = _write(tmp_path)
    disk, spooled = _write(tmp_path, spool=True)
    assert spooled["official"] == report["official"]
    assert sheet_rows(disk["rem"]) == sheet_rows(memory["rem"])
    assert disk["markdown"].read_text(encoding="utf-8") == memory["markdown"].read_text(encoding="utf-8")


def test_html_view_is_escaped_and_links_to_the_evidence(tmp_path):
    written, _ = _write(tmp_path)
    html = written["html"].read_text(encoding="utf-8")
    section = html.split('<section id="officiels"', 1)[1].split("</section>", 1)[0]
    assert "SC.PSC.08.01.01" in section and "SC.MSS/CONF.14.01.01" in section
    assert "&lt;script&gt;alert(" in section and "<script>alert" not in html
    assert "couverture partielle" in section
    assert 'href="#ex-0"' in section  # the exchange, in the page
    assert "evidence.zip/echanges/0001-psc-0001.json" in section


def test_summary_has_a_compact_table(tmp_path):
    written, _ = _write(tmp_path)
    summary = written["markdown"].read_text(encoding="utf-8")
    table = summary.split("### Par identifiant officiel", 1)[1]
    row = next(line for line in table.splitlines() if line.startswith("| SC.PSC.01 "))
    assert "conforme (couverture partielle)" in row and "PSC-01 (conforme)" in row and row.endswith("| 1 | 1 |")


def test_rem_export_has_the_template_columns_one_row_per_proof(tmp_path):
    written, _ = _write(tmp_path)
    rows = sheet_rows(written["rem"])
    assert rows[0] == REM_COLUMNS
    assert rows[0][:9] == tuple(HEADERS[f] for f in HEADERS)  # the template's, as requirements/rem.py knows them
    col = {name: i for i, name in enumerate(rows[0])}
    by_proof = {row[col["N° preuve"]]: row for row in rows[1:] if row[col["N° preuve"]]}
    failing = by_proof["SC.MSS/CONF.14.01.01"]
    assert failing[col["ID"]] == "SC.MSS/CONF.14" and failing[col["N° scénario"]] == "SC.MSS/CONF.14.01"
    assert failing[col["Verdict"]] == "non conforme" and failing[col["Résultat de la preuve"]] == "non conforme"
    assert failing[col["Preuve 1"]] == HOSTILE + " " + FORMULA  # text, never a formula
    assert failing[col["Preuve dans evidence.zip"]] == "documents/export/message.eml"
    assert by_proof["SC.PSC.01.01.01"][col["Couverture"]] == "partielle"
    unrun = next(row for row in rows[1:] if row[col["ID"]] == "SC.DMP/UX.14")
    assert unrun[col["N° scénario"]] is None and unrun[col["Verdict"]] == "non évaluée (couverture partielle)"
    # the export reads back as a REM: its ids, scenarios and proofs
    read = {r.id: r for r in read_rem(written["rem"])}
    assert read["SC.MSS/CONF.14"].proofs == ("SC.MSS/CONF.14.01.01",)


def _rem(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Chapitre", "Exigence", "Nature", "N° scénario", "N° preuve", "VA N-1"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_view_keyed_on_a_rem_through_its_previous_ids(tmp_path):
    rem = _rem(
        tmp_path / "REM.xlsx",
        [
            ["REM.TEST.01", "Authentification", "Demander eidas1.", "EXIGENCE", "REM.TEST.01.01", "", "SC.PSC.08"],
            ["REM.TEST.02", "Sans lien", "Autre chose.", "EXIGENCE", "", "", ""],
        ],
    )
    keying = load_keying(load_catalogue(), rem=rem)
    written, report = _write(tmp_path, context=ReportContext(keying=keying))
    assert report["official"]["keyed_on"]["referentiel_rem"] == str(rem)
    (entry,) = report["official"]["ids"].items()
    oid, data = entry
    assert oid == "REM.TEST.01" and data["previous"] == ["SC.PSC.08"] and data["chapter"] == "Authentification"
    assert data["outcome"] == "pass" and data["status"] == "tel que fourni"
    assert data["requirements"][0]["scenarios"][0]["proofs"][0]["number"] == "REM.TEST.01.01.01"
    rows = sheet_rows(written["rem"])
    assert [row[0] for row in rows[1:]] == ["REM.TEST.01"] and rows[1][2] == "Demander eidas1."


def test_a_vendor_mapping_keys_the_view(tmp_path):
    mapping = tmp_path / "correspondances.toml"
    mapping.write_text(
        '[referential.maison]\nname = "REM maison"\nversion = "1"\nstatus = "projet"\nsource = "s"\nreference = "r"\n'
        '[[official]]\nid = "MAISON.01"\nreferential = "maison"\n'
        '[[mapping]]\nrequirement = "MSS-04"\nofficial = "MAISON.01"\ncouverture = "partielle"\nnote = "Jugement."\n',
        encoding="utf-8",
    )
    _, report = _write(tmp_path, context=ReportContext(keying=load_keying(load_catalogue(), mapping)))
    assert list(report["official"]["ids"]) == ["MAISON.01"]
    assert report["official"]["ids"]["MAISON.01"]["label"] == "non conforme (couverture partielle)"
    assert report["official"]["keyed_on"]["correspondances"] == str(mapping)


def test_bad_files_raise_french_errors(tmp_path):
    bad = tmp_path / "faux.toml"
    bad.write_text("[[mapping]]\nrequirement = 'PSC-01'\nofficial = 'X'\n", encoding="utf-8")
    with pytest.raises(OfficialError, match="non déclaré"):
        load_keying(load_catalogue(), bad)
    with pytest.raises(RemError, match="illisible"):
        load_keying(load_catalogue(), rem=bad)


def test_workbook_lists_failing_proofs_first_and_counts_the_rest(tmp_path, monkeypatch):
    """A scenario run on many documents has one proof each: the workbook lists the first ones, failures first (each
    keeping its number), then one row that counts the others; report.json keeps them all."""
    monkeypatch.setattr(official, "PROOFS_LISTED", 2)
    scenarios = official_scenarios(tmp_path / "export")
    headers = scenarios[1]
    ok = [
        replace(headers, subject=f"autre-{n}.eml", steps=[replace(headers.steps[0], findings=[passed("MSS-04", "ok")])])
        for n in range(3)
    ]
    collector = RunCollector(load_catalogue())
    collector.extend([scenarios[0], *ok, headers])  # the failing document comes last
    run = replace(
        official_run(tmp_path / "export"), scenarios=collector.log, requirements=collector.requirements("recette")
    )
    written = write_reports(run, tmp_path / "r", ["json", "rem"])
    report = json.loads(written["json"].read_text(encoding="utf-8"))
    proofs = report["official"]["ids"]["SC.MSS/CONF.14"]["requirements"][0]["scenarios"][0]["proofs"]
    assert [p["number"] for p in proofs][-1] == "SC.MSS/CONF.14.01.04" and len(proofs) == 4
    rows = [row for row in sheet_rows(written["rem"])[1:] if row[0] == "SC.MSS/CONF.14"]
    assert [row[6] for row in rows] == ["SC.MSS/CONF.14.01.04", "SC.MSS/CONF.14.01.01", None]
    assert rows[-1][7] == "… et 2 autres preuves : report.json, section official"


def test_an_id_that_one_requirement_verifies_whole_is_completely_covered():
    """SC.DMP/UX.07: DMP-65 checks a part (the TD0.2 form), DMP-66 the whole (the test at opening)."""
    rows = {(m.requirement, m.official.id): m for m in official.builtin_keying().official.mappings}
    part, whole = rows["DMP-65", "SC.DMP/UX.07"], rows["DMP-66", "SC.DMP/UX.07"]
    assert (part.couverture, whole.couverture) == ("partielle", "complete")

    def entry(*mappings):
        covering = tuple(
            official.Covering(RequirementResult(m.requirement, "DMP", "", "DOIT", "", True, Outcome.PASS, [], []), (m,))
            for m in mappings
        )
        return official.OfficialEntry("SC.DMP/UX.07", "va2", "", "projet", True, "APPROVED", covering)

    assert entry(part, whole).couverture == "complete" and entry(part, whole).label == "conforme"
    assert entry(part).label == "conforme (couverture partielle)"
