"""Eligibility rules of the default rule set (amorcage-2021), each on its boundary, and the tranches
it pays."""

import copy
import json
import random
from dataclasses import replace

import pytest

from dui_conformance.funding import with_parameters
from dui_conformance.funding.eligibility import split_by_count


@pytest.mark.parametrize(("sizes", "eligible"), [((5, 5, 4), False), ((5, 5, 5), True)], ids=["14-esms", "15-esms"])
def test_fifteen_esms_in_three_og(fx, sizes, eligible):
    result = fx.judge(fx.make(sizes))
    assert result.eligible is eligible
    assert fx.reason(result, "taille_grappe")["statut"] == ("respectee" if eligible else "non_respectee")


@pytest.mark.parametrize(("sizes", "eligible"), [((8, 7), False), ((5, 5, 5), True)], ids=["2-og", "3-og"])
def test_three_og(fx, sizes, eligible):
    assert fx.judge(fx.make(sizes, small=[0, 1, 2])).eligible is eligible


@pytest.mark.parametrize(
    ("sizes", "eligible"),
    [((14,), False), ((15,), True), ((15, 2), True)],
    ids=["og-seul-14", "og-seul-15", "grand-og-et-petit-og"],
)
def test_single_og_with_fifteen_esms(fx, sizes, eligible):
    result = fx.judge(fx.make(sizes, small=[1]))
    assert result.eligible is eligible
    if eligible:
        assert "peut candidater seul" in fx.reason(result, "taille_grappe")["message"]


@pytest.mark.parametrize("territory", ["outre_mer", "corse"])
@pytest.mark.parametrize(("sizes", "eligible"), [((3, 2, 2), False), ((3, 3, 2), True)], ids=["7-esms", "8-esms"])
def test_eight_esms_overseas_and_corsica(fx, territory, sizes, eligible):
    result = fx.judge(fx.make(sizes, territory=territory))
    assert result.eligible is eligible, fx.reason(result, "taille_grappe")


def test_eight_esms_are_not_enough_in_metropole(fx):
    assert not fx.judge(fx.make((3, 3, 2))).eligible


@pytest.mark.parametrize(("count", "funded"), [(30, 30), (31, 30)], ids=["30-esms", "31-esms"])
def test_at_most_thirty_esms_are_funded(fx, count, funded):
    # Issue 18: which ESMS fall outside the cap is the ARS's choice, never the file order.
    result = fx.judge(fx.make((count - 10, 5, 5)))
    assert result.eligible
    assert result.total == funded * 25_000
    cap = fx.reason(result, "plafond_esms")
    assert cap["statut"] == ("a_verifier" if count > funded else "respectee")
    esms = [e for og in result.to_dict()["detail"]["organismes"] for e in og["esms"]]
    chosen = [e for e in esms if e["parts"][0]["choix_ars"]]
    assert len(chosen) == (count if count > funded else 0)
    if count > funded:
        assert "revient à l'ARS" in cap["message"] and "l'ordre du fichier n'en décide pas" in cap["message"]


def test_conformity_amount_is_ten_thousand(fx):
    assert fx.judge(fx.make(project="mise_en_conformite")).total == 15 * 10_000


@pytest.mark.parametrize(("without", "eligible"), [(7, True), (8, False)], ids=["7-sur-15", "8-sur-15"])
def test_conformity_project_may_hold_a_minority_without_dui(fx, without, eligible):
    cluster = fx.make(project="mise_en_conformite")
    for esms in fx.esms(cluster)[:without]:
        esms["sans_dui"] = True
    result = fx.judge(cluster)
    assert result.eligible is eligible
    assert fx.reason(result, "nature_projet")["statut"] == ("respectee" if eligible else "non_respectee")


def test_two_versions_make_the_project_ineligible(fx):
    cluster = fx.make()
    fx.esms(cluster)[3]["solution"] = {**fx.solution, "version": "2.0"}
    result = fx.judge(cluster)
    assert not result.eligible and result.total == 0
    message = fx.reason(result, "solution_unique")["message"]
    assert "DUI Test 1.0" in message and "DUI Test 2.0" in message and "ESMS 0-3" in message


def test_same_vendor_other_software_is_not_the_same_solution(fx):
    cluster = fx.make()
    fx.esms(cluster)[0]["solution"] = {**fx.solution, "nom": "Autre DUI"}
    assert fx.reason(fx.judge(cluster), "solution_unique")["statut"] == "non_respectee"


@pytest.mark.parametrize(
    ("services", "eligible"),
    [(["DMP"], False), (["DMP", "PSC"], False), (["DMP", "MSS"], True), (["MSS", "EPRESCRIPTION"], True)],
)
def test_two_services_socles(fx, services, eligible):
    assert fx.judge(fx.make(services=services)).eligible is eligible


def test_rule_set_can_make_services_mandatory(fx, ruleset, tmp_path):
    data = copy.deepcopy(ruleset.data)
    data["regles"]["services_socles"]["obligatoires"] = ["DMP", "MSS"]
    rules = replace(ruleset, id="ars-test", data=data)
    result = fx.judge(fx.make(services=["DMP", "EPRESCRIPTION"]), rules=rules)
    assert not result.eligible
    assert "MSSanté" in fx.reason(result, "services_socles")["message"]


def test_equipment_of_a_large_og_is_refused_and_its_esms_keep_acquisition(fx):
    cluster = fx.make(small=[1, 2])
    cluster["organismes"][0]["esms_geres"] = 40  # issue 18: the size of an OG decides, not its flag
    for esms in fx.esms(cluster):
        esms["equipement"] = True
    result = fx.judge(cluster)
    assert result.eligible
    assert fx.reason(result, "equipement")["statut"] == "refus_partiel"
    large = result.to_dict()["detail"]["organismes"][0]
    assert large["montant"] == 5 * 25_000
    equipment = [p for e in large["esms"] for p in e["parts"] if p["part"] == "equipement"]
    assert equipment and all(not p["accordee"] and "petit" in p["motif"] for p in equipment)
    assert result.total == 15 * 25_000 + 10 * 20_000


def test_equipment_never_comes_alone(fx):
    cluster = fx.make(sizes=(6, 5, 5))
    first = fx.esms(cluster)[0]
    first.update(equipement=True, contrat_editeur_signe=True)
    result = fx.judge(cluster)
    detail = result.to_dict()["detail"]["organismes"][0]["esms"][0]
    assert detail["montant"] == 0
    assert all(not p["accordee"] for p in detail["parts"])
    assert "jamais seul" in detail["parts"][1]["motif"]
    assert result.eligible and result.total == 15 * 25_000


def test_small_og_cannot_hold_fifteen_esms(fx):
    cluster = fx.make(sizes=(15,), small=[0])
    fx.esms(cluster)[0]["equipement"] = True
    result = fx.judge(cluster)
    assert result.total == 15 * 25_000
    assert "15 ESMS" in fx.reason(result, "equipement")["message"]


def test_finess_format_and_duplicates_refuse_the_esms_only(fx):
    cluster = fx.make(sizes=(6, 6, 5))
    fx.esms(cluster)[0]["finess"] = "59ABC0001"
    fx.esms(cluster)[1]["finess"] = fx.esms(cluster)[2]["finess"]
    result = fx.judge(cluster)
    assert result.eligible and result.total == 15 * 25_000
    message = fx.reason(result, "finess")["message"]
    assert "59ABC0001" in message and "déjà déclaré" in message


def test_finess_key_when_the_rule_set_defines_one(fx, ruleset, tmp_path):
    from dui_conformance.funding.finess import luhn_ok

    data = copy.deepcopy(ruleset.data)
    data["regles"]["finess"]["cle"] = "luhn"
    rules = replace(ruleset, id="ars-luhn", data=data)
    cluster = fx.make()
    for esms in fx.esms(cluster):
        esms["finess"] = next(esms["finess"][:8] + d for d in "0123456789" if luhn_ok(esms["finess"][:8] + d))
    assert fx.reason(fx.judge(cluster, rules=rules), "finess")["statut"] == "respectee"
    first = fx.esms(cluster)[0]
    first["finess"] = first["finess"][:8] + str((int(first["finess"][8]) + 1) % 10)
    result = fx.judge(cluster, rules=rules)
    assert fx.reason(result, "finess")["statut"] == "refus_partiel" and "Luhn" in fx.reason(result, "finess")["message"]
    assert fx.reason(fx.judge(cluster), "finess")["statut"] == "respectee"  # the default set defines no key


def test_acquisition_with_a_vendor_already_contracted_is_refused_for_that_esms(fx):
    cluster = fx.make(sizes=(6, 5, 5))
    fx.esms(cluster)[0]["contrat_editeur_signe"] = True
    result = fx.judge(cluster)
    assert fx.reason(result, "editeur_deja_contractualise")["statut"] == "refus_partiel"
    assert result.eligible and result.total == 15 * 25_000


def test_sons_order_refused_in_acquisition_admitted_in_conformity(fx):
    acquisition = fx.make(sizes=(6, 5, 5))
    fx.esms(acquisition)[0]["bon_commande_sons"] = True
    assert fx.reason(fx.judge(acquisition), "bon_commande_sons")["statut"] == "refus_partiel"
    conformity = fx.make(project="mise_en_conformite")
    fx.esms(conformity)[0].update(bon_commande_sons=True, date_commande_sons="2023-06-01")
    result = fx.judge(conformity)
    assert fx.reason(result, "bon_commande_sons")["statut"] == "respectee"
    # Issue 18: the usage-linked amount of a SONS ESMS is fixed by no source: a parameter, so no total.
    sons = result.to_dict()["detail"]["organismes"][0]["esms"][0]["parts"][0]
    assert sons["part"] == "usage_sons" and sons["montant"] is None
    assert result.total is None and fx.reason(result, "montants")["statut"] == "a_verifier"


def test_sons_order_needs_the_segur_label_and_its_dates(fx):
    cluster = fx.make(project="mise_en_conformite")
    cluster["solution"]["referencement"] = ["RESAH"]
    fx.esms(cluster)[0].update(bon_commande_sons=True, date_commande_sons="2024-01-15")
    message = fx.reason(fx.judge(cluster), "bon_commande_sons")
    assert message["statut"] == "a_verifier"
    # issue 18: dates in French, never ISO
    assert "référencement Ségur" in message["message"] and "15 janvier 2024" in message["message"]


def test_acquisition_needs_a_referenced_solution(fx):
    cluster = fx.make()
    cluster["solution"]["referencement"] = []
    result = fx.judge(cluster)
    assert not result.eligible and fx.reason(result, "referencement")["statut"] == "non_respectee"


@pytest.mark.parametrize(
    ("derogation", "sans_dui", "eligible"),
    [
        (None, False, False),
        ({"champ": "PA", "engagement_editeur": True}, False, True),
        ({"champ": "PA", "engagement_editeur": False}, False, False),
        ({"champ": "PA", "engagement_editeur": True}, True, False),
        ({"champ": "PH", "engagement_editeur": True}, False, False),
    ],
    ids=["sans-derogation", "derogation", "sans-engagement", "champ-incomplet", "champ-absent"],
)
def test_derogation_for_a_non_referenced_solution(fx, derogation, sans_dui, eligible):
    cluster = fx.make(project="mise_en_conformite")
    cluster["solution"].pop("referencement")
    if derogation:
        cluster["derogation"] = derogation
    fx.esms(cluster)[0]["sans_dui"] = sans_dui
    result = fx.judge(cluster)
    assert result.eligible is eligible, fx.reason(result, "derogation")


def test_multiregional_grant_split_by_number_of_esms(fx):
    cluster = fx.make(sizes=(6, 5, 5))
    for esms in cluster["organismes"][2]["esms"]:
        esms["finess"] = "13" + esms["finess"][2:]
    result = fx.judge(cluster)
    regions = {r["region"]: r for r in result.to_dict()["detail"]["regions"]}
    assert regions["Hauts-de-France"]["esms"] == 11 and regions["Provence-Alpes-Côte d'Azur"]["esms"] == 5
    assert sum(r["montant"] for r in regions.values()) == result.total
    assert result.instructing == "Hauts-de-France"
    assert "multirégional" in fx.reason(result, "multiregional")["message"]


def test_instructing_ars_of_the_holder_when_the_rule_set_says_so(fx, ruleset, tmp_path):
    data = copy.deepcopy(ruleset.data)
    data["regles"]["multiregional"]["instruction"] = "siege_porteur"
    rules = replace(ruleset, id="ars-siege", data=data)
    cluster = fx.make()
    assert fx.reason(fx.judge(cluster, rules=rules), "multiregional")["statut"] == "a_verifier"
    cluster["organismes"][1].update(porteur=True, region_siege="Occitanie")
    assert fx.judge(cluster, rules=rules).instructing == "Occitanie"


def test_region_unknown_is_to_check(fx):
    cluster = fx.make()
    fx.esms(cluster)[0]["finess"] = "990000001"
    assert fx.reason(fx.judge(cluster), "multiregional")["statut"] == "a_verifier"


@pytest.mark.parametrize(
    ("dates", "status"),
    [
        ({"depot": "2021-03-31"}, "respectee"),
        ({"depot": "2021-04-01"}, "non_respectee"),
        ({"depot": "2021-02-14"}, "non_respectee"),
        ({}, "a_verifier"),
        ({"depot": "2021-03-01", "convention": "2021-07-01"}, "non_respectee"),
    ],
)
def test_campaign_calendar(fx, dates, status):
    result = fx.judge(fx.make(dates=dates))
    assert fx.reason(result, "calendrier")["statut"] == status
    assert result.eligible is (status != "non_respectee")


def test_sector_dominance_is_left_to_the_ars(fx):
    cluster = fx.make()
    for esms in fx.esms(cluster)[:8]:
        esms["categorie"] = "PH"
    for esms in fx.esms(cluster)[8:10]:
        esms["categorie"] = "ADDICTOLOGIE"
    message = fx.reason(fx.judge(cluster), "champ")
    assert message["statut"] == "a_verifier" and "ADDICTOLOGIE" in message["message"]


def test_support_for_clusters_of_small_og(fx):
    result = fx.judge(fx.make(accompagnement={"amoa": True, "pilotage": True}))
    assert result.total == 15 * 25_000 + 15_000 + 100_000
    large = fx.make(small=[0, 1], accompagnement={"amoa": True})
    large["organismes"][2]["esms_geres"] = 20  # issue 18: the size of an OG decides, not its flag
    refused = fx.judge(large)
    assert fx.reason(refused, "accompagnement")["statut"] == "refus_partiel" and refused.total == 15 * 25_000


def test_a_rule_absent_from_the_rule_set_is_not_applied_and_said(fx, ruleset, tmp_path):
    data = copy.deepcopy(ruleset.data)
    del data["regles"]["calendrier"]
    rules = replace(ruleset, id="ars-sans-calendrier", data=data)
    result = fx.judge(fx.make(dates={"depot": "2030-01-01"}), rules=rules)
    assert result.eligible and fx.reason(result, "calendrier")["statut"] == "non_applicable"


def test_tranches_split_40_40_20_and_add_up(fx):
    result = fx.judge(fx.make(sizes=(6, 5, 5), project="mise_en_conformite", accompagnement={"amoa": True}))
    tranches = result.to_dict()["tranches"]
    assert [t["part"] for t in tranches] == [40, 40, 20]
    assert sum(t["montant"] for t in tranches) == result.total == 16 * 10_000 + 15_000
    assert [t["montant"] for t in tranches] == [70_000, 70_000, 35_000]


def test_split_is_exact_on_odd_totals():
    assert sum(split_by_count(100_001, {"a": 40, "b": 40, "c": 20}).values()) == 100_001
    assert split_by_count(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}


def test_not_eligible_means_no_money(fx):
    result = fx.judge(fx.make(sizes=(5, 5, 4)))
    data = result.to_dict()
    assert data["eligible"] is False and data["montant_total"] == 0 and data["montant_calcule"] == 14 * 25_000
    assert {t["statut"] for t in data["tranches"]} == {"sans_objet"}


# --- Each funding rule as its sources state it, at its boundary, with its quote (issue 18) ---------------

# --- Overseas and Corsica: the OG minimum is per territory ----------------------------------------------


@pytest.mark.parametrize(("territory", "dept"), [("outre_mer", "974"), ("outre_mer", "971"), ("corse", "2A")])
@pytest.mark.parametrize(
    ("sizes", "eligible"),
    [((4, 4), True), ((4, 3), False), ((8,), False), ((3, 3, 2), True)],
    ids=["2-og-8-esms", "2-og-7-esms", "1-og-8-esms", "3-og-8-esms"],
)
def test_overseas_and_corsica_need_2_og_and_8_esms(bounds, territory, dept, sizes, eligible):
    """« Pour les DROM-COM et la Corse, le seuil est fixé à 2 OG et 8 ESMS minimum » (airmes.eu) ;
    « idéalement huit dans les territoires ultramarins et la Corse » (« Le médico-social et le Ségur numérique »)."""
    result = bounds.judge(bounds.grappe(*sizes, dept=dept, territory=territory))
    size = bounds.reason(result, "taille_grappe")
    assert result.eligible is eligible, size
    assert "2 OG et 8 ESMS minimum" in size["source"] and "airmes.eu" in size["source"]


@pytest.mark.parametrize(("sizes", "eligible"), [((8, 7), False), ((5, 5, 5), True)], ids=["2-og", "3-og"])
def test_metropole_keeps_3_og_in_temps_1(bounds, sizes, eligible):
    """« au moins trois organismes gestionnaires regroupant au moins quinze ESMS » (AAP Hauts-de-France 2021)."""
    assert bounds.judge(bounds.grappe(*sizes)).eligible is eligible


@pytest.mark.parametrize(
    ("sizes", "dept", "territory", "status"),
    [
        ((10, 5), "59", "metropole", "respectee"),  # no OG minimum in metropole in temps 2
        ((14,), "59", "metropole", "a_verifier"),  # « idéalement quinze »: short of it, the ARS appreciates
        ((15,), "59", "metropole", "respectee"),
        ((4, 3), "974", "outre_mer", "a_verifier"),
        ((4, 4), "974", "outre_mer", "respectee"),
    ],
)
def test_temps_2_sizes_are_ideal_not_minimums(bounds, sizes, dept, territory, status):
    """« atteignant idéalement quinze structures … et idéalement huit dans les territoires ultramarins et la Corse »."""
    result = bounds.judge(bounds.grappe(*sizes, dept=dept, territory=territory, depot="2021-08-01"))
    size = bounds.reason(result, "taille_grappe")
    assert size["statut"] == status and result.eligible
    assert "idéalement quinze" in size["source"]


def test_unknown_filing_date_weighs_both_temps(bounds):
    result = bounds.judge(bounds.grappe(10, 5, depot=None))
    size = bounds.reason(result, "taille_grappe")
    assert size["statut"] == "a_verifier" and result.eligible
    assert "temps 1" in size["message"] and "temps 2" in size["message"]


# --- The declared territory must match the FINESS ------------------------------------------------------


@pytest.mark.parametrize(
    ("dept", "declared", "status", "eligible"),
    [
        ("59", "metropole", "respectee", True),
        ("974", "outre_mer", "respectee", True),
        ("976", "outre_mer", "respectee", True),
        ("2B", "corse", "respectee", True),
        ("59", "outre_mer", "non_respectee", False),
        ("974", "metropole", "non_respectee", False),
        ("2A", "metropole", "non_respectee", False),
    ],
)
def test_declared_territory_must_match_the_finess_departments(bounds, dept, declared, status, eligible):
    """The territory follows the FINESS department: 97x overseas, 2A/2B Corsica (INSEE geographic code)."""
    result = bounds.judge(bounds.grappe(5, 5, 5, dept=dept, territory=declared))
    assert bounds.reason(result, "territoire")["statut"] == status
    assert result.eligible is eligible


def test_thresholds_follow_the_finess_not_the_declaration(bounds):
    # 8 metropolitan ESMS declared overseas: judged on the metropolitan threshold of 15, not 8.
    result = bounds.judge(bounds.grappe(3, 3, 2, territory="outre_mer"))
    assert bounds.reason(result, "taille_grappe")["statut"] == "non_respectee"
    assert "métropole" in bounds.reason(result, "taille_grappe")["message"]


def test_a_cluster_across_territories_takes_the_strictest_threshold(bounds):
    cluster = bounds.grappe(5, 5, 4, territory="corse")
    cluster["organismes"][2]["esms"].append(
        {
            "finess": bounds.finess("2A", 9, 1),
            "nom": "EHPAD Ajaccio",
            "categorie": "PA",
            "equipement": False,
            "sans_dui": False,
        }
    )
    result = bounds.judge(cluster)
    assert bounds.reason(result, "territoire")["statut"] == "a_verifier"
    assert bounds.reason(result, "taille_grappe")["statut"] == "respectee"  # 15 ESMS: the metropolitan threshold is met
    cluster["organismes"][0]["esms"].pop()
    assert bounds.reason(bounds.judge(cluster), "taille_grappe")["statut"] == "non_respectee"  # 14, not 8


# --- The 30-ESMS cap: DUI lines only, never the file order -----------------------------------------------


def test_equipment_is_not_capped(bounds):
    """« 25k€ … 10k€ … dans la limite de 30 ESMS par projet » ; equipment (20 k€) is listed apart (AAP HdF 2021)."""
    cluster = bounds.grappe(11, 10, 10)  # three small OG, 31 ESMS
    for esms in bounds.esms(cluster):
        esms["equipement"] = True
    result = bounds.judge(cluster)
    assert result.eligible and result.capacity == 30
    assert result.total == 30 * 25_000 + 31 * 20_000
    cap = bounds.reason(result, "plafond_esms")
    assert (
        "dans la limite de 30 ESMS par projet" in cap["source"] and "l'équipement n'est pas plafonné" in cap["message"]
    )


def test_over_the_cap_the_ars_choice_gives_a_range(bounds, tmp_path):
    cluster = bounds.grappe(11, 10, 10, project="mise_en_conformite")
    for esms in bounds.esms(cluster)[:2]:
        esms["sans_dui"] = True
    parameters = tmp_path / "ars.toml"
    parameters.write_text('source = "Convention ARS de test"\n[valeurs]\nsans_dui = 25000\n', encoding="utf-8")
    result = bounds.judge(cluster, rules=with_parameters(bounds.seed, parameters))
    data = result.to_dict()
    # 29 ESMS at 10 000 € and 2 at 25 000 €, 30 funded: 29 × 10 000 + 25 000 at least, 28 × 10 000 + 50 000 at most
    assert data["fourchette"] == {"min": 315_000, "max": 330_000}
    assert data["montant_total"] is None and data["detail"]["plafond"] == {"esms_retenus": 31, "esms_finances": 30}
    cap = bounds.reason(result, "plafond_esms")
    assert cap["statut"] == "a_verifier" and "revient à l'ARS" in cap["message"]
    assert "315\u202f000 € à 330\u202f000 €" in cap["message"]


@pytest.mark.parametrize(
    ("count", "marked", "status", "funded"),
    [(31, 1, "refus_partiel", 30), (31, 2, "a_verifier", 31), (31, 0, "a_verifier", 31), (30, 1, "a_verifier", 30)],
    ids=["choix-consigne", "trop-de-marques", "sans-choix", "plafond-non-atteint"],
)
def test_the_ars_records_its_choice_in_the_file(bounds, count, marked, status, funded):
    cluster = bounds.grappe(count - 20, 10, 10)
    for esms in cluster["organismes"][2]["esms"][:marked]:
        esms["hors_plafond"] = True
    result = bounds.judge(cluster)
    assert bounds.reason(result, "plafond_esms")["statut"] == status
    assert len(result.funded) == funded and result.total == 30 * 25_000
    if status == "refus_partiel":
        left_out = result.to_dict()["detail"]["organismes"][2]["esms"][0]
        assert left_out["montant"] == 0 and "au-delà des 30 ESMS financés" in left_out["parts"][0]["motif"]


def _canonical(result) -> dict:
    """What a result decides, without the order in which the file listed organisations and ESMS."""
    data = result.to_dict()
    esms = sorted(
        (e["finess"], e["montant"], [(p["part"], p["accordee"], p["montant"], p["choix_ars"]) for p in e["parts"]])
        for og in data["detail"]["organismes"]
        for e in og["esms"]
    )
    return {
        "eligible": data["eligible"],
        "amounts": (data["montant_total"], data["montant_calcule"], data["fourchette"]),
        "statuses": sorted((r["regle"], r["statut"]) for r in data["raisons"]),
        "esms": json.dumps(esms),
        "regions": data["detail"]["regions"],
        "ars": data["detail"]["ars_instructrice"],
        "tranches": [(t["statut"], t["montant"]) for t in data["tranches"]],
    }


@pytest.mark.parametrize("seed", range(5))
def test_the_result_never_depends_on_the_order_of_the_file(bounds, seed):
    cluster = bounds.grappe(14, 12, 12)  # 38 ESMS: over the cap once the refusals below are made
    esms = bounds.esms(cluster)
    esms[0]["equipement"] = True
    esms[3]["contrat_editeur_signe"] = True
    esms[5]["finess"] = esms[6]["finess"]  # the same ESMS twice
    esms[7]["finess"] = esms[20]["finess"]  # one FINESS, two different ESMS (other OG)
    for entry in esms[30:]:
        entry["finess"] = "13" + entry["finess"][2:]  # a second region
    shuffled = json.loads(json.dumps(cluster))
    rng = random.Random(seed)
    rng.shuffle(shuffled["organismes"])
    for og in shuffled["organismes"]:
        rng.shuffle(og["esms"])
    result = bounds.judge(cluster)
    assert result.capacity == 30 and len(result.funded) == 34
    assert _canonical(bounds.judge(shuffled)) == _canonical(result)


# --- A small OG is derived from its ESMS count, never trusted from a flag --------------------------------


@pytest.mark.parametrize(("size", "small"), [(14, True), (15, False)], ids=["14-esms", "15-esms"])
@pytest.mark.parametrize("flag", [True, False, None], ids=["petit", "non-petit", "sans-drapeau"])
def test_small_og_is_derived_from_its_esms_count(bounds, size, small, flag):
    """« organismes gestionnaires de petite taille (moins de 15 ESMS) » (FAQ ARS Occitanie ESMS numérique)."""
    cluster = bounds.grappe(size, 2, 2, accompagnement={"amoa": True, "pilotage": True})
    if flag is not None:
        cluster["organismes"][0]["petit"] = flag
    bounds.esms(cluster)[0]["equipement"] = True
    result = bounds.judge(cluster)
    data = result.to_dict()
    assert data["detail"]["organismes"][0]["petit"] is small
    equipment = data["detail"]["organismes"][0]["esms"][0]["parts"][1]
    assert equipment["accordee"] is small  # equipment
    assert all(p["accordee"] is small for p in data["detail"]["accompagnement"])  # AMOA and steering
    contradicted = flag is not None and flag != small
    assert bounds.reason(result, "petit_og")["statut"] == ("a_verifier" if contradicted else "respectee")


def test_esms_managed_outside_the_cluster_count(bounds):
    cluster = bounds.grappe(5, 5, 5)
    cluster["organismes"][0]["esms_geres"] = 15
    bounds.esms(cluster)[0]["equipement"] = True
    result = bounds.judge(cluster)
    assert result.to_dict()["detail"]["organismes"][0]["esms"][0]["parts"][1]["accordee"] is False
    cluster["organismes"][0]["esms_geres"] = 14
    assert bounds.judge(cluster).to_dict()["detail"]["organismes"][0]["esms"][0]["parts"][1]["accordee"] is True


# --- Field dominance -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pa", "ph", "status"),
    [(12, 4, "respectee"), (11, 4, "a_verifier"), (8, 7, "a_verifier"), (15, 0, "respectee")],
    ids=["75-pct", "73-pct", "8-7", "pa-seul"],
)
def test_field_dominance(bounds, pa, ph, status):
    """« un ensemble très important d’ESMS d’un champ … et quelques ESMS d’un autre champ » ; « quelques » has no
    number: the share is a parameter (75 %, unverified), and a near-even split is at least to check."""
    cluster = bounds.grappe(6, 5, pa + ph - 11)
    for esms in bounds.esms(cluster)[pa:]:
        esms["categorie"] = "PH"
    result = bounds.judge(cluster)
    field = bounds.reason(result, "champ")
    assert field["statut"] == status and result.eligible
    assert "quelques ESMS d’un autre champ" in field["source"]
    parameter = next(p for p in result.to_dict()["parametres"] if p["nom"] == "part_min_champ_dominant")
    assert parameter["statut"] == "non_verifie"


# --- Regional rules: the region comes from the FINESS --------------------------------------------------


@pytest.mark.parametrize(("dept", "eligible"), [("31", False), ("59", True)], ids=["occitanie", "hauts-de-france"])
def test_occitanie_makes_dmp_and_mssante_mandatory(bounds, dept, eligible):
    """« Vos projets devront obligatoirement mettre en oeuvre l’interopérabilité avec le DMP et la MSS. »
    (FAQ ARS Occitanie ESMS numérique)."""
    result = bounds.judge(bounds.grappe(5, 5, 5, dept=dept, services=("DMP", "EPRESCRIPTION")))
    services = bounds.reason(result, "services_socles")
    assert result.eligible is eligible
    if not eligible:
        assert "règle régionale : Occitanie" in services["message"] and "MSSanté" in services["message"]
        assert "obligatoirement mettre en oeuvre" in services["source"]


def test_the_region_of_the_finess_wins_over_a_declared_region(bounds):
    cluster = bounds.grappe(5, 5, 5, dept="31", services=("DMP", "EPRESCRIPTION"))
    for esms in bounds.esms(cluster):
        esms["region"] = "Hauts-de-France"
    result = bounds.judge(cluster)
    assert result.region == "Occitanie" and not result.eligible
    assert "contraire au FINESS" in bounds.reason(result, "multiregional")["message"]


# --- Seed phase temps 2 has its own calendar -----------------------------------------------------------


@pytest.mark.parametrize(
    ("depot", "status"),
    [
        ("2021-03-31", "respectee"),
        ("2021-06-30", "non_respectee"),
        ("2021-07-01", "respectee"),
        ("2021-10-15", "respectee"),
        ("2021-10-16", "a_verifier"),
        ("2022-01-10", "non_respectee"),
    ],
)
def test_temps_2_calendar(bounds, depot, status):
    """« Les AAP (du temps 2 de la phase l’amorçage) sont lancés depuis le 1 er juillet 2021. Vous disposez de trois
    mois et demi pour déposer votre candidature. » (« Le médico-social et le Ségur numérique »)."""
    result = bounds.judge(bounds.grappe(5, 5, 5, depot=depot))
    calendar = bounds.reason(result, "calendrier")
    assert calendar["statut"] == status
    if depot.startswith("2021-07") or depot.startswith("2021-10"):
        assert "temps 2" in calendar["message"] and "trois mois et demi" in calendar["source"]


def test_the_temps_1_convention_deadline_does_not_bind_temps_2(bounds):
    late_convention = {"depot": "2021-08-01", "convention": "2021-11-02"}
    assert (
        bounds.reason(bounds.judge(bounds.grappe(5, 5, 5, dates=late_convention)), "calendrier")["statut"]
        == "respectee"
    )
    temps_1 = {"depot": "2021-03-01", "convention": "2021-07-01"}
    assert bounds.reason(bounds.judge(bounds.grappe(5, 5, 5, dates=temps_1)), "calendrier")["statut"] == "non_respectee"


# --- Exactly one project holder ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("holders", "status", "eligible"),
    [((), "a_verifier", True), ((0,), "respectee", True), ((0, 2), "non_respectee", False)],
    ids=["aucun", "un", "deux"],
)
def test_exactly_one_project_holder(bounds, holders, status, eligible):
    """« le porteur de projet (1 OG du groupement) » (FAQ ARS PACA) ; « Une seule lettre par projet » (FAQ ARS
    Occitanie)."""
    cluster = bounds.grappe(5, 5, 5)
    for index in holders:
        cluster["organismes"][index]["porteur"] = True
    result = bounds.judge(cluster)
    holder = bounds.reason(result, "porteur")
    assert holder["statut"] == status and result.eligible is eligible
    assert "1 OG du groupement" in holder["source"] and "Une seule lettre par projet" in holder["source"]


def test_an_og_alone_is_its_own_holder(bounds):
    assert bounds.reason(bounds.judge(bounds.grappe(15)), "porteur")["statut"] == "respectee"


# --- Where the sources differ: à vérifier, quoting both ------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "status"),
    [(["RESAH", "SEGUR"], "respectee"), (["RESAH"], "a_verifier"), (["SEGUR"], "a_verifier"), ([], "non_respectee")],
)
def test_referencing_an_acquisition_needs_in_2021(bounds, labels, status):
    cluster = bounds.grappe(5, 5, 5)
    cluster["solution"]["referencement"] = labels
    referencing = bounds.reason(bounds.judge(cluster), "referencement")
    assert referencing["statut"] == status
    # both sentences, each with its document
    assert "prendre contact avec le RESAH pour un référencement RESAH" in referencing["source"]
    assert "Devront recourir au marché national dédié" in referencing["source"]
    assert "FAQ ARS Occitanie ESMS numérique" in referencing["source"]
    assert "« Le médico-social et le Ségur numérique »" in referencing["source"]


def test_instructing_ars_when_the_sources_point_to_two_regions(bounds):
    cluster = bounds.grappe(6, 5, 5)
    for entry in cluster["organismes"][2]["esms"]:
        entry["finess"] = "13" + entry["finess"][2:]
    cluster["organismes"][2].update(porteur=True, region_siege="Provence-Alpes-Côte d'Azur")
    result = bounds.judge(cluster)
    regional = bounds.reason(result, "multiregional")
    assert regional["statut"] == "a_verifier" and result.instructing is None
    assert "siège du porteur de projet" in regional["source"] and "l’ARS qui a le plus d’ESMS" in regional["source"]
    cluster["organismes"][2]["region_siege"] = "Hauts-de-France"
    assert bounds.judge(cluster).instructing == "Hauts-de-France"


@pytest.mark.parametrize(("deployed", "quoted"), [("2024-03-31", None), ("2024-04-15", True), ("2024-05-02", False)])
def test_sons_update_deadline_given_twice_by_one_source(bounds, deployed, quoted):
    """« avant le 31/03/2024 au plus tard » and « avant le 31/04/2024 au plus tard », both in the same document."""
    cluster = bounds.grappe(5, 5, 5, project="mise_en_conformite")
    bounds.esms(cluster)[0].update(bon_commande_sons=True, date_deploiement_sons=deployed)
    sons = bounds.reason(bounds.judge(cluster), "bon_commande_sons")
    assert sons["statut"] == ("respectee" if quoted is None else "a_verifier")
    if quoted is not None:
        assert ("31/04/2024" in sons["message"]) is quoted


# --- Amounts no source fixes are parameters ------------------------------------------------------------


def test_no_dui_esms_in_a_conformity_project_is_a_parameter(bounds, tmp_path):
    cluster = bounds.grappe(5, 5, 5, project="mise_en_conformite")
    bounds.esms(cluster)[0]["sans_dui"] = True
    result = bounds.judge(cluster)
    data = result.to_dict()
    assert data["montant_total"] is None and data["montant_calcule"] is None
    parameter = next(p for p in data["parametres"] if p["nom"] == "sans_dui")
    assert parameter["statut"] == "a_renseigner" and parameter["valeur"] is None
    assert "ESMS sans DUI" in bounds.reason(result, "montants")["message"]

    filled = tmp_path / "ars.toml"
    filled.write_text('source = "AAP ARS de test 2021"\n[valeurs]\nsans_dui = 25000\n', encoding="utf-8")
    result = bounds.judge(cluster, rules=with_parameters(bounds.seed, filled))
    assert result.total == 14 * 10_000 + 25_000
    parameter = next(p for p in result.to_dict()["parametres"] if p["nom"] == "sans_dui")
    assert parameter["statut"] == "renseigne" and parameter["origine"] == "AAP ARS de test 2021"


def test_press_amounts_are_shown_unverified(bounds):
    result = bounds.judge(bounds.grappe(5, 5, 5, accompagnement={"amoa": True}))
    amoa = next(p for p in result.to_dict()["parametres"] if p["nom"] == "amoa")
    assert amoa["statut"] == "non_verifie" and amoa["valeur"] == 15_000 and "directions.fr" in amoa["origine"]
