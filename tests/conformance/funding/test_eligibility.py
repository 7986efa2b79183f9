"""Eligibility rules of the default rule set (amorcage-2021), each on its boundary, and the tranches
it pays."""

import copy

import pytest

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
    result = fx.judge(fx.make((count - 10, 5, 5)))
    assert result.eligible
    assert result.total == funded * 25_000
    cap = fx.reason(result, "plafond_esms")
    assert cap["statut"] == ("refus_partiel" if count > funded else "respectee")
    esms = [e for og in result.to_dict()["detail"]["organismes"] for e in og["esms"]]
    beyond = [e for e in esms if e["hors_plafond"]]
    assert len(beyond) == count - funded and all(e["montant"] == 0 for e in beyond)
    assert beyond == esms[funded:]  # the first 30 in file order are funded


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
    rules = type(ruleset)("ars-test", "1", "test", tmp_path, data)
    result = fx.judge(fx.make(services=["DMP", "EPRESCRIPTION"]), rules=rules)
    assert not result.eligible
    assert "MSSanté" in fx.reason(result, "services_socles")["message"]


def test_equipment_of_a_large_og_is_refused_and_its_esms_keep_acquisition(fx):
    cluster = fx.make(small=[1, 2])
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
    rules = type(ruleset)("ars-luhn", "1", "test", tmp_path, data)
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
    assert result.total == 15 * 10_000


def test_sons_order_needs_the_segur_label_and_its_dates(fx):
    cluster = fx.make(project="mise_en_conformite")
    cluster["solution"]["referencement"] = ["RESAH"]
    fx.esms(cluster)[0].update(bon_commande_sons=True, date_commande_sons="2024-01-15")
    message = fx.reason(fx.judge(cluster), "bon_commande_sons")
    assert message["statut"] == "a_verifier"
    assert "référencement Ségur" in message["message"] and "2024-01-15" in message["message"]


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
    rules = type(ruleset)("ars-siege", "1", "test", tmp_path, data)
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
    refused = fx.judge(fx.make(small=[0, 1], accompagnement={"amoa": True}))
    assert fx.reason(refused, "accompagnement")["statut"] == "refus_partiel" and refused.total == 15 * 25_000


def test_a_rule_absent_from_the_rule_set_is_not_applied_and_said(fx, ruleset, tmp_path):
    data = copy.deepcopy(ruleset.data)
    del data["regles"]["calendrier"]
    rules = type(ruleset)("ars-sans-calendrier", "1", "test", tmp_path, data)
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
