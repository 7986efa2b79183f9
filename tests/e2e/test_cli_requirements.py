"""dui-conformance requirements --couverture (JSON and French text) and demo --liste-defauts, as a user runs them."""

import io
import json

import pytest
from openpyxl import Workbook
from rich.console import Console

from dui_conformance import cli
from dui_conformance.cli import main
from dui_conformance.mocks.dui import DEFECTS
from dui_conformance.mocks.dui.__main__ import main as reference_dui
from dui_conformance.requirements import load_catalogue


def test_coverage_json(capfd):
    assert main(["requirements", "--couverture", "--format", "json", "--service", "MSS"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert set(data) == {"requirements", "unknown_tags", "unknown_decided", "tests_scanned"}
    rows = {row["id"]: row for row in data["requirements"]}
    assert set(rows) == {r.id for r in load_catalogue() if r.service == "MSS"}
    # offline, the message check; live, the same check run on the message the MSSanté simulator received
    assert rows["MSS-07"]["decided_by"] == [
        "dui_conformance.mss.message:_check_addresses",
        "dui_conformance.mss.submission:check_submission",
    ]
    assert rows["MSS-07"]["level"] == "DOIT" and rows["MSS-07"]["scenarios"]
    assert all(path.startswith(("fixtures/mss/", "defaut:")) for path in rows["MSS-07"]["negative_proof"])
    assert "defaut:mss-sans-demande-accuse" in rows["MSS-20"]["negative_proof"]


@pytest.fixture
def messages(monkeypatch) -> io.StringIO:
    """What the CLI says on its console (bound to the real stderr when it was imported)."""
    buffer = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buffer, width=200))
    return buffer


def test_coverage_text_in_french(capfd, messages):
    assert main(["requirements", "--couverture", "--service", "INS"]) == 0
    out = capfd.readouterr().out
    assert "INS-02 · DOIT · INS" in out and "décidée par : dui_conformance.ins.matricule:check_nir_traits" in out
    assert "preuve négative : fixtures/cda/ins/ins02_sexe_incoherent.xml" in out
    assert "exigences couvertes" in messages.getvalue()


def test_json_lists_each_requirement_with_its_official_ids(capfd):
    assert main(["requirements", "--format", "json", "--service", "PSC"]) == 0
    rows = {row["id"]: row for row in json.loads(capfd.readouterr().out)["requirements"]}
    assert set(rows) == {r.id for r in load_catalogue() if r.service == "PSC"}
    acr = {o["id"]: o for o in rows["PSC-01"]["official"]}["SC.PSC.08"]
    assert acr["referential"] == "SC vague 2 Squash export" and acr["status"] == "projet" and acr["provisoire"]
    assert rows["PSC-02"]["official"] == []
    assert main(["requirements", "--couverture", "--format", "json", "--service", "MSS"]) == 0
    rows = {row["id"]: row for row in json.loads(capfd.readouterr().out)["requirements"]}
    assert "ECO.2.4.1" in {o["id"] for o in rows["MSS-03"]["official"]}


def test_referential_va2_lists_uncovered_ids_by_family(capfd):
    assert main(["requirements", "--referentiel", "va2"]) == 0
    out = capfd.readouterr().out
    assert "qu'aucune exigence du catalogue ne couvre, par famille" in out and "  SC.INS (1) : SC.INS/PSC.01 (A)" in out
    assert main(["requirements", "--referentiel", "va2", "--format", "json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["covered"]["SC.MSS.14"] == ["MSS-21"] and "SC.PSC.02" in data["uncovered"]["SC.PSC"]


def test_referential_va2_by_wave(capfd):
    """As `requirements --vague N`: with --vague 1, a requirement of vague 2 only (PSC-26) covers no official id."""
    covered = {}
    for wave in ("1", "2"):
        assert main(["requirements", "--referentiel", "va2", "--format", "json", "--vague", wave]) == 0
        data = json.loads(capfd.readouterr().out)
        assert data["vague"] == int(wave)
        covered[wave] = data["covered"]
    vague2_only = {r.id for r in load_catalogue() if 1 not in r.waves}
    assert not vague2_only & {rid for reqs in covered["1"].values() for rid in reqs}
    assert "PSC-26" in covered["2"]["SC.PSC.08"] and covered["1"]["SC.PSC.08"] == ["PSC-01"]
    assert main(["requirements", "--referentiel", "va2", "--format", "json"]) == 0
    assert json.loads(capfd.readouterr().out)["covered"] == covered["2"]  # no requirement is of vague 1 only
    assert main(["requirements", "--referentiel", "va2", "--vague", "1"]) == 0
    out = capfd.readouterr().out
    assert out.startswith("Couverture par les seules exigences de la vague 1 (--vague 1)")


def test_referential_rem_spreadsheet(tmp_path, capfd, messages):
    book = Workbook()
    book.active.append(["ID", "Chapitre", "Exigence", "Nature", "N° scénario", "N° preuve", "VA N-1"])
    book.active.append(["DUI.MSS.01", "MSS", "Adresse patient sur INS qualifiée", "EXIGENCE", "", "", "SC.MSS.14"])
    book.active.append(["DUI.MSS.02", "MSS", "Autre", "EXIGENCE", "", "", ""])
    book.save(tmp_path / "REM.xlsx")
    assert main(["requirements", "--referentiel-rem", str(tmp_path / "REM.xlsx"), "--format", "json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["covered"] == {"DUI.MSS.01": ["MSS-21"]} and data["uncovered"] == {"DUI.MSS": ["DUI.MSS.02"]}
    (tmp_path / "faux.toml").write_text('[[mapping]]\nrequirement = "PSC-999"\nofficial = "X"\n', encoding="utf-8")
    assert main(["requirements", "--format", "json", "--correspondances", str(tmp_path / "faux.toml")]) == 2
    assert "exigence PSC-999 absente du catalogue" in messages.getvalue()
    (tmp_path / "vide.xlsx").write_bytes(b"")
    assert main(["requirements", "--referentiel-rem", str(tmp_path / "vide.xlsx")]) == 2
    assert "classeur Excel (.xlsx) illisible" in messages.getvalue() and "Traceback" not in messages.getvalue()


def test_the_cli_lists_the_table(messages, capsys):
    assert main(["demo", "--liste-defauts"]) == 0
    listed = messages.getvalue()
    assert all(name in listed and defect.text[:40] in listed for name, defect in DEFECTS.items())
    assert "tls-version-obsolete — Échange avec les services en TLS 1.1" in listed
    assert "(exigences en échec : GEN-10)" in listed
    flat = " ".join(listed.split())
    assert "(exigences en échec : aucune ; hors de la vague 1 : PSC-26)" in flat  # psc-eidas2-refuse, vague 2 only
    assert "(exigences en échec : PSC-20, PSC-21, PSC-24 ; hors de la vague 1 : PSC-26)" in flat
    messages.seek(0), messages.truncate()
    assert main(["demo", "--liste-defauts", "--vague", "2"]) == 0
    assert "(exigences en échec : PSC-20, PSC-21, PSC-24, PSC-26)" in " ".join(messages.getvalue().split())
    with pytest.raises(SystemExit):
        reference_dui(["--help"])
    assert "tls-version-obsolete — Échange avec les services en TLS 1.1" in " ".join(capsys.readouterr().out.split())


V2_ONLY = (
    '[[requirement]]\nid = "MSS-901"\nservice = "MSS"\nstatement = "Ajoutée par la vague 2 (essai)."\n'
    'level = "DOIT"\nsource = "essai"\nvagues = [2]\n'
)


def test_requirements_by_wave_and_a_vague_2_only_doit_needs_its_links(tmp_path, capfd, messages):
    (tmp_path / "v2.toml").write_text(V2_ONLY, encoding="utf-8")
    listing = ["requirements", "--catalogue", str(tmp_path), "--format", "json", "--service", "MSS"]
    assert main([*listing, "--vague", "2"]) == 0
    rows = {row["id"]: row for row in json.loads(capfd.readouterr().out)["requirements"]}
    assert rows["MSS-901"]["vagues"] == [2] and rows["MSS-07"]["vagues"] == [1, 2]
    assert main([*listing, "--vague", "1"]) == 0
    assert "MSS-901" not in {row["id"] for row in json.loads(capfd.readouterr().out)["requirements"]}
    assert main([*listing, "--vague", "2", "--couverture"]) == 3  # a blocking DOIT without scenario
    rows = {row["id"]: row for row in json.loads(capfd.readouterr().out)["requirements"]}
    assert rows["MSS-901"]["decided_by"] == [] == rows["MSS-901"]["negative_proof"]
    assert "MSS-901 (bloquante) sans scénario" in messages.getvalue()
    assert "1 exigence(s) DOIT sans code qui la décide ou sans preuve négative" in messages.getvalue()
