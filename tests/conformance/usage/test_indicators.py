"""Usage indicators (usage/indicators.py): stocks from the latest period, flows summed; and verdicts an ARS can
sign: example targets decide nothing, no pro rata unless the targets say so, an ESMS not funded gates nothing, real
targets cite their convention, and each value says where it comes from."""

from __future__ import annotations

import datetime

import pytest
import yaml

from dui_conformance.funding import InputError
from dui_conformance.usage import PeriodCounts, compute, corpus, evaluate_exports
from dui_conformance.usage.indicators import MET, NOT_FUNDED, PARTIAL, UNDECIDABLE, UNMET

from ...support.usage import EXAMPLE, PERIOD, REAL

HEADER = (
    "finess;debut;fin;personnes_accompagnees;personnes_ins_qualifiee;dossiers_actifs;dmp:DLU;mss_envoyes;mss_recus;"
    "connexions_psc"
)
MET_ROW = "{};2024-01-01;2024-06-30;10;9;10;5;3;1;4"
MISSED_ROW = "{};2024-01-01;2024-06-30;10;2;10;5;3;1;4"
TARGETS = "cibles:\n  part_ins_qualifiee: 0.6\n  documents_dmp: 5\n"
ESMS = [f"59{index:07d}" for index in range(1, 32)]  # 31 ESMS: one beyond the cap of 30


@pytest.fixture
def files(tmp_path):
    def _write(rows: list[str], targets: str, esms: list[str]) -> tuple:
        export = tmp_path / "usage.csv"
        export.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        cibles = tmp_path / "cibles.yaml"
        cibles.write_text(targets, encoding="utf-8")
        grappe = tmp_path / "grappe.yaml"
        grappe.write_text(yaml.safe_dump(corpus.cluster_file(esms), allow_unicode=True), encoding="utf-8")
        return [export], cibles, grappe

    return _write


def test_indicators_take_stocks_from_the_latest_period_and_sum_flows():
    periods = [
        PeriodCounts(
            "590000011",
            datetime.date(2022, 4, 1),
            datetime.date(2022, 6, 30),
            52,
            40,
            50,
            {"DLU": 5, "PPA": 2},
            12,
            6,
            31,
        ),
        PeriodCounts(
            "590000011", datetime.date(2022, 1, 1), datetime.date(2022, 3, 31), 50, 20, 45, {"DLU": 3}, 10, 4, 30
        ),
    ]
    indicators = compute(periods).to_dict()
    assert indicators["personnes_accompagnees"] == 52 and indicators["part_ins_qualifiee"] == 40 / 52
    assert indicators["part_dossiers_actifs"] == 50 / 52
    assert indicators["documents_dmp_par_type"] == {"DLU": 8, "PPA": 2} and indicators["documents_dmp"] == 10
    assert (indicators["mss_envoyes"], indicators["mss_recus"], indicators["connexions_psc"]) == (22, 10, 61)
    assert (indicators["debut"], indicators["fin"]) == ("2022-01-01", "2022-06-30")


def test_example_targets_never_decide_even_when_met(files):
    result = evaluate_exports(*files([MET_ROW.format(e) for e in ESMS[:2]], EXAMPLE + PERIOD + TARGETS, ESMS[:2]))
    assert [e["decision"] for e in result["esms"]] == [UNDECIDABLE, UNDECIDABLE]
    assert all(e["tranche_finale_liberable"] for e in result["esms"])  # the targets are met, for the record
    assert result["grappe"]["decision"] == UNDECIDABLE
    assert result["grappe"]["decision_libelle"] == "non décidable (cibles d'exemple)"


def test_real_targets_met_by_every_funded_esms_leave_the_tranche_to_check(files):
    result = evaluate_exports(*files([MET_ROW.format(e) for e in ESMS[:2]], REAL + PERIOD + TARGETS, ESMS[:2]))
    assert result["grappe"]["decision"] == MET
    assert "reste à vérifier par l'ARS" in result["grappe"]["motif"] and "facture" in result["grappe"]["motif"]
    assert result["cibles"]["convention"] == {"reference": "ARS-HDF-2024-042", "date": "2024-01-10"}


@pytest.mark.parametrize(
    ("prorata", "decision"), [("", UNMET), ("prorata: false\n", UNMET), ("prorata: true\n", PARTIAL)]
)
def test_no_pro_rata_unless_the_targets_say_so(files, prorata, decision):
    rows = [MET_ROW.format(ESMS[0]), MISSED_ROW.format(ESMS[1])]
    result = evaluate_exports(*files(rows, REAL + prorata + PERIOD + TARGETS, ESMS[:2]))
    assert [e["decision"] for e in result["esms"]] == [MET, UNMET]
    assert result["grappe"]["decision"] == decision and result["cibles"]["prorata"] is bool(prorata.count("true"))


@pytest.mark.parametrize("last", [None, MISSED_ROW])
def test_an_esms_beyond_the_cap_changes_nothing(files, last):
    """31 ESMS for 30 funded: 30 meeting their targets are enough, whichever the 31st is and whatever it shows
    (its exit code: tests/e2e/test_cli_usage.py)."""
    rows = [MET_ROW.format(e) for e in ESMS[:30]] + ([last.format(ESMS[30])] if last else [])
    result = evaluate_exports(*files(rows, REAL + PERIOD + TARGETS, ESMS))
    assert result["grappe"]["decision"] == MET and result["grappe"]["esms_finances"] == 30


def test_an_esms_not_funded_gates_nothing(files):
    """An acquisition for an ESMS that already signed with a vendor is refused: its usage decides nothing."""
    exports, targets, grappe = files(
        [MET_ROW.format(ESMS[0]), MISSED_ROW.format(ESMS[1])], REAL + PERIOD + TARGETS, ESMS[:2]
    )
    declared = yaml.safe_load(grappe.read_text(encoding="utf-8"))
    declared["organismes"][0]["esms"][1]["contrat_editeur_signe"] = True
    grappe.write_text(yaml.safe_dump(declared, allow_unicode=True), encoding="utf-8")
    result = evaluate_exports(exports, targets, grappe)
    refused = result["esms"][1]
    assert refused["decision"] == NOT_FUNDED and "contrat déjà signé" in refused["decision_libelle"]
    assert refused["indicateurs"]["part_ins_qualifiee"] == 0.2  # shown, for the record
    assert result["grappe"]["decision"] == MET and result["grappe"]["esms_finances"] == 1


def test_real_targets_must_cite_their_convention(files):
    with pytest.raises(InputError) as caught:
        evaluate_exports(*files([MET_ROW.format(ESMS[0])], "exemple: false\ntitre: x\n" + PERIOD + TARGETS, ESMS[:1]))
    assert any("convention" in e for e in caught.value.errors)


def test_evidence_needs_the_period_of_the_targets(usage_evidence):
    with pytest.raises(InputError) as caught:
        evaluate_exports([usage_evidence.folder], usage_evidence.targets(period=""), usage_evidence.grappe)
    assert any("periode" in e for e in caught.value.errors)


def test_declared_and_proven_values_side_by_side(usage_evidence, tmp_path):
    """Evidence gives persons, documents and messages; PSC logins and active records stay declared."""
    export = tmp_path / "usage.csv"
    export.write_text(HEADER + "\n" + "590000011;2024-01-01;2024-12-31;50;45;40;99;99;99;12\n", encoding="utf-8")
    targets = usage_evidence.targets("cibles:\n  documents_dmp: 2\n  connexions_psc: 10\n  part_dossiers_actifs: 0.5\n")
    result = evaluate_exports([usage_evidence.folder, export], targets, usage_evidence.grappe)
    a = result["esms"][0]
    assert a["indicateurs"]["documents_dmp"] == 2 and a["origine"]["documents_dmp"] == "preuves"  # not the 99 declared
    assert a["indicateurs"]["connexions_psc"] == 12 and a["origine"]["connexions_psc"] == "declaratif"
    assert a["indicateurs"]["part_dossiers_actifs"] == 40 / 50
    assert [line["origine"] for line in a["comparaison"]] == ["preuves", "declaratif", "declaratif"]
    assert a["decision"] == MET
    b = result["esms"][1]
    assert "connexions Pro Santé Connect non fourni (ni preuve ni déclaration)" in b["motif"]


def test_every_compared_indicator_states_its_definition_and_its_sources(usage_evidence):
    targets = usage_evidence.targets("cibles:\n  documents_dmp_par_type: {DLU: 1}\n  part_ins_qualifiee: 0.5\n")
    definitions = evaluate_exports([usage_evidence.folder], targets, usage_evidence.grappe)["definitions"]
    assert set(definitions["indicateurs"]) == {"documents_dmp", "part_ins_qualifiee"}
    dmp = definitions["indicateurs"]["documents_dmp"]
    assert dmp["nature"] == "définition du harnais" and dmp["preuves"] and dmp["declaratif"]
    quotes = {rule["source"]: rule["citation"] for rule in dmp["regles"]}
    assert "récupération d’un INS qualifié" in quotes["FAQ ARS Occitanie ESMS numérique"]
    assert quotes["« Le médico-social et le Ségur numérique »"].startswith("À compter du 01/01/23")
    assert all(not source[:3].isdigit() for source in quotes)  # sources by their title, never a file number
