"""Issue 18, part 4: the generalisation rule set (2022-2025), beside the 2021 seed phase; ``--campagne`` picks it."""

import json

import pytest

from dui_conformance.cli import main
from dui_conformance.funding import UsageEvaluation, with_parameters

GEN = "generalisation-2022-2025"


def _gen(bounds, *sizes, depot="2023-05-02", **extra):
    return bounds.grappe(*sizes, campaign=GEN, depot=depot, **extra)


@pytest.mark.parametrize(
    ("sizes", "dept", "territory", "eligible"),
    [
        ((14,), "59", "metropole", False),
        ((15,), "59", "metropole", True),  # one OG alone: no OG minimum
        ((5, 5, 5), "59", "metropole", True),
        ((7,), "974", "outre_mer", False),
        ((8,), "974", "outre_mer", True),
        ((8,), "2A", "corse", True),
    ],
)
def test_at_least_15_esms_8_overseas_and_corsica_no_og_minimum(bounds, sizes, dept, territory, eligible):
    result = bounds.judge(_gen(bounds, *sizes, dept=dept, territory=territory))
    size = bounds.reason(result, "taille_grappe")
    assert result.eligible is eligible, size
    assert size["statut"] == ("respectee" if eligible else "non_respectee")
    assert "CNSA" in size["source"]


@pytest.mark.parametrize(
    ("count", "status", "call"),
    [(48, "respectee", "régional"), (49, "a_verifier", None), (50, "respectee", "national")],
)
def test_regional_call_up_to_49_national_from_50(bounds, count, status, call):
    """« pour les groupements de 15 ESSMS et moins de 49 ESSMS » (« Le médico-social et le Ségur numérique ») and the
    CNSA's « moins de 50 » do not put 49 on the same side: à vérifier, both quoted."""
    result = bounds.judge(_gen(bounds, count - 20, 10, 10))
    appel = bounds.reason(result, "appel")
    assert appel["statut"] == status
    assert "moins de 49 ESSMS" in appel["source"] and "CNSA" in appel["source"]
    if call:
        assert call in appel["message"]


def test_a_cluster_filed_to_the_wrong_call(bounds):
    assert not bounds.judge(_gen(bounds, 10, 10, 10, appel="national")).eligible
    assert bounds.judge(_gen(bounds, 20, 20, 10, appel="national")).eligible


def test_usld_are_excluded(bounds):
    cluster = _gen(bounds, 8, 8)
    bounds.esms(cluster)[0]["categorie"] = "USLD"
    result = bounds.judge(cluster)
    assert bounds.reason(result, "esms_eligibles")["statut"] == "refus_partiel"
    assert result.eligible  # 15 ESMS left
    bounds.esms(cluster)[1]["categorie"] = "USLD"
    assert not bounds.judge(cluster).eligible  # 14 left


def test_amounts_are_parameters_the_ars_fills_in(bounds, tmp_path):
    result = bounds.judge(_gen(bounds, 5, 5, 5))
    data = result.to_dict()
    assert data["eligible"] and data["montant_total"] is None
    assert {p["nom"]: p["statut"] for p in data["parametres"]}["acquisition"] == "a_renseigner"
    assert all(t["montant"] is None for t in data["tranches"])
    filled = tmp_path / "ars.toml"
    filled.write_text('source = "AAP ESMS numérique 2023, ARS de test"\n[valeurs]\nacquisition = 18000\n', "utf-8")
    result = bounds.judge(_gen(bounds, 5, 5, 5), rules=with_parameters(bounds.general, filled))
    assert result.total == 15 * 18_000
    assert [t["montant"] for t in result.to_dict()["tranches"]] == [135_000, 135_000]


@pytest.mark.parametrize(("year", "status"), [("2022-06-01", "a_verifier"), ("2023-05-02", "respectee")])
def test_payment_split_of_the_2023_instruction(bounds, year, status):
    result = bounds.judge(_gen(bounds, 5, 5, 5, depot=year))
    assert [t["part"] for t in result.to_dict()["tranches"]] == [50, 50]
    assert bounds.reason(result, "echeancier")["statut"] == status


def test_conditions_are_a_segur_vague_1_dui_and_usage(bounds, general_rules):
    last = bounds.judge(_gen(bounds, 5, 5, 5)).to_dict()["tranches"][-1]
    assert [c["id"] for c in last["conditions"]] == ["conformite", "usage"]
    assert general_rules.data["conformite"]["services"] == ["INS", "DMP", "MSS", "PSC"]
    assert "vague 1" in general_rules.cite(general_rules.data["conformite"]["citations"])


def _ahi_usage(cluster, failing_on: str) -> UsageEvaluation:
    rows = {}
    for esms in cluster["organismes"][0]["esms"] + cluster["organismes"][1]["esms"]:
        lines = [
            {"indicateur": "part_ins_qualifiee", "atteinte": True},
            {"indicateur": "mss_envoyes", "atteinte": failing_on != "mss_envoyes"},
            {"indicateur": "documents_dmp:DLU", "atteinte": failing_on != "documents_dmp"},
        ]
        met = all(line["atteinte"] for line in lines)
        rows[esms["finess"]] = {
            "finess": esms["finess"],
            "tranche_finale_liberable": met,
            "motif": "toutes les cibles atteintes" if met else "cible non atteinte",
            "comparaison": lines,
        }
    return UsageEvaluation("usage.json", False, False, rows)


@pytest.mark.parametrize(
    ("depot", "eligible_sons", "failing_on", "status"),
    [
        ("2025-03-03", False, "mss_envoyes", "remplie"),
        ("2025-03-03", False, "documents_dmp", "remplie"),
        ("2025-03-03", True, "mss_envoyes", "non_remplie"),
        ("2024-03-04", False, "mss_envoyes", "non_remplie"),
    ],
    ids=["2025-ahi-mss", "2025-ahi-dmp", "2025-ahi-eligible-sons", "2024-ahi"],
)
def test_2025_exemption_of_ahi_not_eligible_to_sons(bounds, depot, eligible_sons, failing_on, status):
    cluster = _gen(bounds, 8, 8, depot=depot)
    for esms in cluster["organismes"][0]["esms"]:
        esms.update(categorie="AHI", eligible_sons=eligible_sons)
    result = bounds.judge(cluster, usage=_ahi_usage(cluster, failing_on))
    ahi = result.to_dict()["detail"]["organismes"][0]["esms"][0]
    assert ahi["usage"]["statut"] == status
    pa = result.to_dict()["detail"]["organismes"][1]["esms"][0]
    assert pa["usage"]["statut"] == "non_remplie"  # the exemption is for AHI structures only


def test_ahi_without_a_declared_sons_eligibility_is_to_check(bounds):
    cluster = _gen(bounds, 8, 8, depot="2025-03-03")
    bounds.esms(cluster)[0]["categorie"] = "AHI"
    assert bounds.reason(bounds.judge(cluster), "exemption_usage")["statut"] == "a_verifier"


def test_the_option_picks_the_rule_set_and_the_report_names_it(bounds, tmp_path, capfd):
    path = bounds.write_yaml(tmp_path / "g.yaml", bounds.grappe(5, 5, 5, depot="2023-05-02"))
    assert main(["financement", str(path), "--campagne", GEN, "--format", "json"]) == 0
    data = json.loads(capfd.readouterr().out)
    assert data["campagne"]["id"] == GEN and data["grappe"]["campagne_declaree"] == "amorcage-2021"
    assert main(["financement", str(path), "--campagne", GEN]) == 0
    out = " ".join(capfd.readouterr().out.split())
    assert "ESMS numérique — phase de généralisation 2022-2025" in out
    assert "le fichier de grappe déclare une autre campagne" in out
    assert main(["financement", str(path)]) == 3  # its own campaign, 2021: filed in 2023, outside its calendar
