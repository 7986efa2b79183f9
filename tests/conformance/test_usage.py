"""Usage criteria: export schema (CSV, JSON), indicators, targets, ESMS-by-ESMS release, bad input with lines."""

import json

import pytest

from dui_conformance.funding import InputError
from dui_conformance.usage import evaluate_exports

from ..support.usage import ROW_A1, ROW_A2


def test_examples_csv_and_json_together(examples):
    result = evaluate_exports(
        [examples / "usage-exemple.csv", examples / "usage-exemple.json"],
        examples / "cibles-exemple.yaml",
        examples / "grappe-exemple.yaml",
    )
    assert result["cibles"]["exemple"] is True and result["lignes_lues"] == 34
    verdicts = {e["finess"]: e for e in result["esms"]}
    assert len(verdicts) == 17
    assert not verdicts["590000044"]["tranche_finale_liberable"]
    assert "INS qualifiée 40\u202f% < 60\u202f%" in verdicts["590000044"]["motif"]
    assert not verdicts["800001033"]["tranche_finale_liberable"]
    assert result["grappe"]["esms_liberables"] == 14 and result["grappe"]["esms"] == 17


def test_comma_separated_export_and_per_type_targets(csv_export, targets):
    export = csv_export(ROW_A1.replace(";", ","), ROW_A2.replace(";", ","), header=csv_export.header.replace(";", ","))
    cibles = targets(
        "exemple: false\ntitre: Cibles ARS test\nconvention: {reference: CONV-TEST, date: 2022-01-15}\n"
        "cibles:\n  documents_dmp_par_type:\n    DLU: 9\n    VSM: 0\n"
    )
    esms = evaluate_exports([export], cibles)["esms"][0]
    lines = {line["indicateur"]: line for line in esms["comparaison"]}
    assert lines["documents_dmp:DLU"]["valeur"] == 8 and not lines["documents_dmp:DLU"]["atteinte"]
    assert lines["documents_dmp:VSM"]["atteinte"]
    assert not esms["tranche_finale_liberable"]


def _errors(*args, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        evaluate_exports(*args, **kwargs)
    return "\n".join(caught.value.errors)


def test_missing_and_unknown_columns(csv_export, targets):
    header = csv_export.header.replace(";mss_recus", "").replace("dmp:PPA", "ppa")
    text = _errors([csv_export(header=header)], targets())
    assert "ligne 1" in text and "absente(s) : mss_recus" in text and "inconnue(s) : ppa" in text


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "590000011;2022-01-01;2022-03-31;50;-1;45;3;1;10;4;30",
            "ligne 3 : personnes_ins_qualifiee : compte négatif (-1)",
        ),
        (
            "590000011;2022-01-01;2022-03-31;50;20;45;3;1;dix;4;30",
            "ligne 3 : mss_envoyes : « dix » n'est pas un nombre entier",
        ),
        ("590000011;01/01/2022;2022-03-31;50;20;45;3;1;10;4;30", "ligne 3 : debut : « 01/01/2022 » n'est pas une date"),
        ("590000011;2022-01-01;2022-03-31;50;20;45;3;1;10;4", "ligne 3 : 10 valeur(s) pour 11 colonne(s)"),
        (
            "590000011;2022-03-31;2022-01-01;50;20;45;3;1;10;4;30",
            "ligne 3 : période du 2022-03-31 au 2022-01-01, début après la fin",
        ),
        ("590000011;2022-07-01;2022-09-30;50;60;45;3;1;10;4;30", "ligne 3 : personnes_ins_qualifiee (60) dépasse"),
        ("59000001;2022-07-01;2022-09-30;50;20;45;3;1;10;4;30", "ligne 3 : FINESS « 59000001 » ne suit pas le format"),
    ],
)
def test_bad_rows_are_refused_with_their_line(csv_export, targets, row, expected):
    assert expected in _errors([csv_export(ROW_A1, row)], targets())


def test_every_bad_row_is_listed_not_only_the_first(csv_export, targets):
    text = _errors(
        [
            csv_export(
                "590000011;2022-01-01;2022-03-31;-5;20;45;3;1;10;4;30",
                "590000022;2022-01-01;2022-03-31;50;20;45;3;1;10;-4;30",
            )
        ],
        targets(),
    )
    assert "ligne 2" in text and "ligne 3" in text


def test_unknown_finess_against_the_cluster(csv_export, targets, examples):
    text = _errors(
        [csv_export(ROW_A1, "590009999;2022-01-01;2022-03-31;50;20;45;3;1;10;4;30")],
        targets(),
        examples / "grappe-exemple.yaml",
    )
    assert "ligne 3 : FINESS 590009999 inconnu" in text


def test_esms_of_the_cluster_without_data_are_listed(csv_export, targets, examples):
    result = evaluate_exports([csv_export(ROW_A1)], targets(), examples / "grappe-exemple.yaml")
    assert len(result["esms"]) == 17
    silent = [e for e in result["esms"] if e["motif"] == "aucune donnée d'usage dans la période évaluée"]
    assert len(silent) == 16 and not any(e["tranche_finale_liberable"] for e in silent)


def test_overlapping_periods_within_and_across_files(csv_export, targets, tmp_path):
    assert "ligne 3 : période du 2022-03-01 au 2022-04-30 de l'ESMS 590000011 chevauche" in _errors(
        [csv_export(ROW_A1, "590000011;2022-03-01;2022-04-30;50;20;45;3;1;10;4;30")], targets()
    )
    other = tmp_path / "autre.json"
    other.write_text(
        json.dumps(
            {
                "version": 1,
                "periodes": [
                    {
                        "finess": "590000011",
                        "debut": "2022-02-01",
                        "fin": "2022-02-28",
                        "personnes_accompagnees": 1,
                        "personnes_ins_qualifiee": 1,
                        "dossiers_actifs": 1,
                        "documents_dmp": {},
                        "mss_envoyes": 0,
                        "mss_recus": 0,
                        "connexions_psc": 0,
                    }
                ],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    text = _errors([csv_export(ROW_A1), other], targets())
    assert "autre.json ligne 4" in text and "export.csv ligne 2" in text


def test_json_export_schema_errors_have_paths_and_lines(tmp_path, targets):
    path = tmp_path / "export.json"
    path.write_text(
        '{\n  "version": 1,\n  "periodes": [\n    {\n      "finess": "590000011",\n      "debut": "2022-01-01",\n'
        '      "fin": "2022-03-31",\n      "personnes_accompagnees": -2\n    }\n  ]\n}\n',
        encoding="utf-8",
    )
    text = _errors([path], targets())
    assert "periodes[0].personnes_accompagnees (ligne 8) : valeur -2 inférieure au minimum 0" in text
    assert "periodes[0] (ligne 4) : champ obligatoire absent" in text


def test_rows_outside_the_evaluated_window_are_reported_and_straddling_ones_refused(csv_export, targets):
    window = "exemple: true\ntitre: EXEMPLE\nperiode: {debut: 2022-04-01, fin: 2022-06-30}\ncibles:\n  mss_envoyes: 1\n"
    result = evaluate_exports([csv_export(ROW_A1, ROW_A2)], targets(window))
    assert [r["ligne"] for r in result["lignes_hors_periode"]] == [2]
    assert result["esms"][0]["indicateurs"]["mss_envoyes"] == 12
    straddling = window.replace("2022-04-01", "2022-02-01")
    assert "à cheval" in _errors([csv_export(ROW_A1, ROW_A2)], targets(straddling))


def test_bad_targets_file(csv_export, targets):
    text = _errors([csv_export(ROW_A1)], targets("titre: x\ncibles:\n  part_ins_qualifiee: 80\n  inconnu: 1\n"))
    assert "exemple" in text and "part_ins_qualifiee" in text and "inconnu" in text


def test_a_share_with_nobody_accompanied_is_not_met(csv_export, targets):
    result = evaluate_exports([csv_export("590000011;2022-01-01;2022-03-31;0;0;0;0;0;5;0;0")], targets())
    assert not result["esms"][0]["tranche_finale_liberable"]
    assert "sans objet" in result["esms"][0]["motif"]
