"""dui-conformance requirements --couverture (JSON and French text) and demo --liste-defauts, as a user runs them."""

import io
import json

import pytest
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


def test_json_without_coverage_is_a_usage_error(messages):
    assert main(["requirements", "--format", "json"]) == 2
    assert "--format json s'emploie avec --couverture" in messages.getvalue()


def test_the_cli_lists_the_table(messages, capsys):
    assert main(["demo", "--liste-defauts"]) == 0
    listed = messages.getvalue()
    assert all(name in listed and defect.text[:40] in listed for name, defect in DEFECTS.items())
    assert "tls-version-obsolete — Échange avec les services en TLS 1.1" in listed
    assert "(exigences en échec : GEN-10)" in listed
    with pytest.raises(SystemExit):
        reference_dui(["--help"])
    assert "tls-version-obsolete — Échange avec les services en TLS 1.1" in " ".join(capsys.readouterr().out.split())
