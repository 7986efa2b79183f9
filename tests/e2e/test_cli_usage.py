"""``dui-conformance usage``: the text marks example targets, the exit codes; evidence folders and live runs on the
command line, the same counts on every executor, and the text an ARS reviewer reads."""

from __future__ import annotations

import datetime
import io
import json

import pytest
import yaml
from rich.console import Console

from dui_conformance import cli
from dui_conformance.usage import corpus

from ..support.usage import EXAMPLE, PERIOD, REAL, ROW_A1, ROW_A2

MET = "cibles:\n  documents_dmp: 1\n  part_ins_qualifiee: 0.5\n  mss_envoyes: 0\n"


@pytest.fixture
def errors(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=out, width=300))
    return out


def run(capfd, *args: str) -> tuple[int, str]:
    code = cli.main(["usage", *args])
    return code, capfd.readouterr().out


def run_on_evidence(capfd, usage_evidence, *extra: str, head: str = REAL) -> tuple[int, str]:
    """``usage`` on the evidence folder, its cluster and the targets ``MET`` (under ``head``)."""
    targets = usage_evidence.targets(MET, head=head)
    return run(
        capfd, str(usage_evidence.folder), "--cibles", str(targets), "--grappe", str(usage_evidence.grappe), *extra
    )


def test_evidence_folder_met_by_every_funded_esms(capfd, usage_evidence):
    code, out = run_on_evidence(capfd, usage_evidence)
    assert code == 3  # C, funded, shows nothing
    grappe = yaml.safe_load(usage_evidence.grappe.read_text(encoding="utf-8"))
    grappe["organismes"][0]["esms"].pop()  # without C
    usage_evidence.grappe.write_text(yaml.safe_dump(grappe, allow_unicode=True), encoding="utf-8")
    code, out = run_on_evidence(capfd, usage_evidence)
    assert code == 0
    text = " ".join(out.split())
    assert "convention ARS-HDF-2024-042 du 10 janvier 2024, période du 1er janvier 2024 au 31 décembre 2024" in text
    assert "Preuves :" in text and "1 — remplacement d'un document (même setId)" in text
    assert "Critère d'usage de la dernière tranche : critères d'usage remplis" in text
    assert "reste à vérifier par l'ARS" in text and "libérable" not in text  # never a green tick on the tranche
    assert "50 %" in text.replace("\u202f", " ")


def test_example_targets_exit_3_and_say_why(capfd, usage_evidence):
    code, out = run_on_evidence(capfd, usage_evidence, head=EXAMPLE)
    assert code == 3
    assert "cibles d'EXEMPLE" in out and "non décidable (cibles d'exemple)" in " ".join(out.split())


def _json(capfd, usage_evidence, *extra: str) -> dict:
    code, out = run_on_evidence(capfd, usage_evidence, "--format", "json", *extra)
    assert code == 3
    result = json.loads(out)
    for item in result["preuves"]["ecartes"]:  # the same items, whatever the order batches come back in
        item["detail"] = item["detail"].split(" que ")[0]
    result["preuves"]["ecartes"].sort(key=lambda e: (e["source"], e["motif"]))
    return result


def test_the_same_counts_in_this_process_and_on_local_processes(capfd, usage_evidence):
    assert _json(capfd, usage_evidence, "--jobs", "1") == _json(capfd, usage_evidence, "--jobs", "2")


def test_the_same_counts_on_dask(capfd, usage_evidence):
    pytest.importorskip("distributed")
    assert _json(capfd, usage_evidence, "--jobs", "1") == _json(
        capfd, usage_evidence, "--executor", "dask-local", "--jobs", "2"
    )


def test_bad_input_exits_2(capfd, usage_evidence, errors, tmp_path):
    targets = usage_evidence.targets(MET)
    assert run(capfd, str(tmp_path / "absent"), "--cibles", str(targets))[0] == 2
    assert run(capfd, str(usage_evidence.folder), "--cibles", str(usage_evidence.targets(MET, period="")))[0] == 2
    assert "periode" in errors.getvalue()
    grappe = yaml.safe_load(usage_evidence.grappe.read_text(encoding="utf-8"))
    grappe["organismes"][0]["esms"][1]["bal"] = list(grappe["organismes"][0]["esms"][0]["bal"])
    usage_evidence.grappe.write_text(yaml.safe_dump(grappe, allow_unicode=True), encoding="utf-8")
    assert run_on_evidence(capfd, usage_evidence)[0] == 2
    assert "déclarée pour 590000011 et 590000022" in errors.getvalue()


@pytest.mark.live
def test_the_report_and_evidence_pack_of_a_live_run(capfd, tmp_path):
    """The demo's reference DUI feeds the simulated DMP and sends MSSanté messages: usage counts them."""
    report = tmp_path / "demo"
    assert cli.main(["demo", "-q", "--report-dir", str(report), "--formats", "json,evidence"]) == 0
    capfd.readouterr()
    today = datetime.date.today()
    cibles = tmp_path / "cibles.yaml"
    cibles.write_text(
        "exemple: false\ntitre: Cibles de la démonstration\nconvention: {reference: DEMO, date: 2024-01-01}\n"
        f"periode: {{debut: {today - datetime.timedelta(days=2)}, fin: {today + datetime.timedelta(days=2)}}}\n"
        "cibles:\n  documents_dmp: 1\n  mss_envoyes: 1\n",
        encoding="utf-8",
    )
    grappe = tmp_path / "grappe.yaml"
    mailboxes = {"519999981": ["dui@ehpad-les-tilleuls.mssante.fr"]}
    grappe.write_text(yaml.safe_dump(corpus.cluster_file(["519999981"], mailboxes), allow_unicode=True), "utf-8")
    for sources in ([report / "report.json"], [report / "evidence.zip"], [report]):
        code, out = run(capfd, *map(str, sources), "--cibles", str(cibles), "--grappe", str(grappe), "--format", "json")
        result = json.loads(out)
        esms = result["esms"][0]["indicateurs"]
        assert code == 0 and esms["documents_dmp"] >= 1 and esms["mss_envoyes"] >= 1
        reasons = {e["motif"] for e in result["preuves"]["ecartes"]}
        assert "refuse" in reasons  # the demo's refused submission and refused message are listed


def test_cli_text_marks_example_targets_and_exit_codes(capfd, csv_export, targets, errors):
    assert cli.main(["usage", str(csv_export(ROW_A1, ROW_A2)), "--cibles", str(targets())]) == 3
    out = capfd.readouterr().out
    assert "cibles d'EXEMPLE" in out and "1 ESMS financé(s) sur 1" in out and "non décidable (cibles d'exemple)" in out
    assert (
        cli.main(
            [
                "usage",
                str(csv_export("590000011;2022-01-01;2022-03-31;50;20;45;3;1;0;4;30")),
                "--cibles",
                str(targets()),
            ]
        )
        == 3
    )
    assert (
        cli.main(
            [
                "usage",
                str(csv_export("590000011;2022-01-01;2022-03-31;50;-20;45;3;1;0;4;30")),
                "--cibles",
                str(targets()),
            ]
        )
        == 2
    )
    assert "ligne 2" in errors.getvalue() and "compte négatif" in errors.getvalue()


def test_an_esms_beyond_the_cap_does_not_change_the_exit_code(capfd, csv_export, tmp_path):
    """31 ESMS for 30 funded, 30 meeting the targets: exit 0 whether the 31st shows nothing or misses them."""
    esms = [f"59{index:07d}" for index in range(1, 32)]
    grappe = tmp_path / "grappe.yaml"
    grappe.write_text(yaml.safe_dump(corpus.cluster_file(esms), allow_unicode=True), encoding="utf-8")
    cibles = tmp_path / "cibles.yaml"
    cibles.write_text(REAL + PERIOD.replace("2024", "2022") + "cibles:\n  part_ins_qualifiee: 0.3\n", encoding="utf-8")
    met = [ROW_A1.replace("590000011", finess) for finess in esms[:30]]
    for last in ([], [ROW_A1.replace("590000011", esms[30]).replace(";50;20;", ";50;5;")]):
        export = csv_export(*met, *last)
        assert cli.main(["usage", str(export), "--cibles", str(cibles), "--grappe", str(grappe)]) == 0
        capfd.readouterr()
