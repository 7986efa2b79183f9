"""``dui-conformance financement``: outputs and exit codes."""

import json
from pathlib import Path

import pytest

from dui_conformance.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "conformance" / "funding" / "examples"


@pytest.fixture(autouse=True)
def errors(monkeypatch):
    """The CLI's error console is bound to the real stderr at import: give it a buffer to read."""
    import io

    from rich.console import Console

    from dui_conformance import cli

    buffer = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=buffer, width=300))
    return buffer


def _run(capfd, *args):
    import dui_conformance.cli as cli

    code = main(list(args))
    out, _ = capfd.readouterr()
    return code, out, cli.console.file.getvalue()


def test_example_cluster_is_eligible_in_french(capfd):
    code, out, _ = _run(capfd, "financement", str(EXAMPLES / "grappe-exemple.yaml"))
    assert code == 0
    assert "ÉLIGIBLE" in out and "505\u202f000 €" in out and "refusée" in out and "Tranches de paiement" in out


def test_json_output_has_the_documented_keys(capfd):
    code, out, _ = _run(capfd, "financement", str(EXAMPLES / "grappe-exemple.yaml"), "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert {"eligible", "raisons", "montant_total", "detail", "tranches"} <= set(data)
    assert isinstance(data["montant_total"], int) and data["montant_total"] == 505_000
    assert all({"regle", "statut", "message"} <= set(r) for r in data["raisons"])
    assert all({"part", "montant", "condition", "statut"} <= set(t) for t in data["tranches"])
    assert {"organismes", "regions", "ars_instructrice", "accompagnement"} <= set(data["detail"])
    assert all("esms" in og for og in data["detail"]["organismes"])


def test_not_eligible_exits_3(capfd, fx, tmp_path):
    path = fx.write_yaml(tmp_path / "g.yaml", fx.make(sizes=(5, 5, 4)))
    code, out, _ = _run(capfd, "financement", str(path))
    assert code == 3 and "NON ÉLIGIBLE" in out


def test_bad_cluster_file_gives_every_error_with_its_path_and_line(capfd, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(
        "campagne: amorcage-2021\n"
        "type_projet: achat\n"
        "territoire: metropole\n"
        "solution: {editeur: E, nom: N}\n"
        "services_socles: [DMP, MSS]\n"
        "organismes:\n"
        "  - nom: OG\n"
        "    petit: oui\n"
        "    esms:\n"
        "      - finess: 590000011\n"
        "        nom: X\n"
        "        categorie: PA\n"
        "        equipement: false\n"
        "        couleur: bleu\n",
        encoding="utf-8",
    )
    code, _, err = _run(capfd, "financement", str(path))
    assert code == 2
    for expected in (
        "type_projet (ligne 2)",
        "'achat'",
        "solution (ligne 4)",
        "version",
        "organismes[0].petit (ligne 8)",
        "organismes[0].esms[0].finess (ligne 10)",
        "guillemets",
        "organismes[0].esms[0] (ligne 10)",
        "sans_dui",
        "couleur",
    ):
        assert expected in err, (expected, err)


def test_missing_file_and_unknown_campaign_exit_2(capfd, fx, tmp_path):
    assert _run(capfd, "financement", str(tmp_path / "absent.yaml"))[0] == 2
    path = fx.write_yaml(tmp_path / "g.yaml", fx.make(campagne="inconnue"))
    code, _, err = _run(capfd, "financement", str(path))
    assert code == 2 and "inconnue" in err


def test_ars_rule_set_directory(capfd, fx, ruleset, tmp_path):
    text = (
        ruleset.path.read_text(encoding="utf-8")
        .replace('id = "amorcage-2021"', 'id = "ars-occitanie-test"')
        .replace("obligatoires = []", 'obligatoires = ["DMP", "MSS"]')
    )
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "occitanie.toml").write_text(text, encoding="utf-8")
    path = fx.write_yaml(tmp_path / "g.yaml", fx.make(campagne="ars-occitanie-test", services=["DMP", "EPRESCRIPTION"]))
    code, out, _ = _run(capfd, "financement", str(path), "--campagnes", str(tmp_path / "rules"), "--format", "json")
    assert code == 3 and json.loads(out)["campagne"]["id"] == "ars-occitanie-test"


def test_several_clusters_are_ranked_within_the_envelope(capfd, fx, tmp_path):
    funded_before = fx.write_yaml(tmp_path / "a.yaml", fx.make(nom="A", deja_finance=True))
    big = fx.write_yaml(tmp_path / "b.yaml", fx.make(sizes=(10, 10, 10), nom="B"))
    small = fx.write_yaml(tmp_path / "c.yaml", fx.make(nom="C", priorite=1))
    ineligible = fx.write_yaml(tmp_path / "d.yaml", fx.make(sizes=(2,), nom="D"))
    code, out, _ = _run(
        capfd,
        "financement",
        *map(str, (funded_before, big, small, ineligible)),
        "--enveloppe",
        "1000000",
        "--format",
        "json",
    )
    data = json.loads(out)
    rows = data["classement"]["grappes"]
    assert code == 3  # one cluster is not eligible
    assert [(r["grappe"], r["rang"], r["dans_enveloppe"]) for r in rows] == [
        ("C", 1, True),
        ("B", 2, False),
        ("A", 3, True),
        ("D", None, False),
    ]
    assert rows[2]["cumul"] == 2 * 375_000


def test_envelope_of_the_instructing_region_from_the_rule_set(capfd, fx, tmp_path):
    paths = []
    for name in ("P1", "P2"):
        cluster = fx.make(nom=name)
        for esms in fx.esms(cluster):
            esms["finess"] = "13" + esms["finess"][2:]
        paths.append(str(fx.write_yaml(tmp_path / f"{name}.yaml", cluster)))
    code, out, _ = _run(capfd, "financement", *paths)
    assert code == 0 and "1\u202f566\u202f149 €" in out and "Provence-Alpes-Côte d'Azur" in out


def test_report_and_usage_options(capfd, tmp_path):
    usage_code, usage_out, _ = _run(
        capfd,
        "usage",
        str(EXAMPLES / "usage-exemple.csv"),
        str(EXAMPLES / "usage-exemple.json"),
        "--cibles",
        str(EXAMPLES / "cibles-exemple.yaml"),
        "--grappe",
        str(EXAMPLES / "grappe-exemple.yaml"),
        "--format",
        "json",
    )
    assert usage_code == 3
    (tmp_path / "usage.json").write_text(usage_out, encoding="utf-8")
    report = {
        "verdict": "non conforme",
        "requirements": [
            {"id": "DMP-40", "service": "DMP", "blocking": True, "outcome": "fail"},
            {"id": "MSS-01", "service": "MSS", "blocking": True, "outcome": "pass"},
        ],
    }
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    code, out, _ = _run(
        capfd,
        "financement",
        str(EXAMPLES / "grappe-exemple.yaml"),
        "--format",
        "json",
        "--usage",
        str(tmp_path / "usage.json"),
        "--rapport",
        str(tmp_path / "report.json"),
    )
    data = json.loads(out)
    last = data["tranches"][-1]
    assert code == 0 and last["statut"] == "bloquee"
    assert {c["id"]: c["statut"] for c in last["conditions"]}["conformite"] == "non_remplie"
    assert sum(e["usage"]["statut"] == "remplie" for og in data["detail"]["organismes"] for e in og["esms"]) == 14


def test_installed_entry_point_and_bundled_examples(tmp_path):
    """The real process, as a CI job runs it: the examples and rule sets ship with the package."""
    import subprocess
    import sys

    import dui_conformance.funding

    examples = Path(dui_conformance.funding.__file__).parent / "examples"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dui_conformance",
            "financement",
            str(examples / "grappe-exemple.yaml"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["montant_total"] == 505_000
