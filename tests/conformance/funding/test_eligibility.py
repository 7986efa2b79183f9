"""Issue 18, part 3: each funding rule as its sources state it, tested at its boundary, with the quote it rests on."""

import json
import random

import pytest

from dui_conformance.funding import with_parameters

# --- Overseas and Corsica: the OG minimum is per territory ----------------------------------------------


@pytest.mark.parametrize(("territory", "dept"), [("outre_mer", "974"), ("outre_mer", "971"), ("corse", "2A")])
@pytest.mark.parametrize(
    ("sizes", "eligible"),
    [((4, 4), True), ((4, 3), False), ((8,), False), ((3, 3, 2), True)],
    ids=["2-og-8-esms", "2-og-7-esms", "1-og-8-esms", "3-og-8-esms"],
)
def test_overseas_and_corsica_need_2_og_and_8_esms(fx, territory, dept, sizes, eligible):
    """« Pour les DROM-COM et la Corse, le seuil est fixé à 2 OG et 8 ESMS minimum » (airmes.eu) ;
    « idéalement huit dans les territoires ultramarins et la Corse » (« Le médico-social et le Ségur numérique »)."""
    result = fx.judge(fx.grappe(*sizes, dept=dept, territory=territory))
    size = fx.reason(result, "taille_grappe")
    assert result.eligible is eligible, size
    assert "2 OG et 8 ESMS minimum" in size["source"] and "airmes.eu" in size["source"]


@pytest.mark.parametrize(("sizes", "eligible"), [((8, 7), False), ((5, 5, 5), True)], ids=["2-og", "3-og"])
def test_metropole_keeps_3_og_in_temps_1(fx, sizes, eligible):
    """« au moins trois organismes gestionnaires regroupant au moins quinze ESMS » (AAP Hauts-de-France 2021)."""
    assert fx.judge(fx.grappe(*sizes)).eligible is eligible


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
def test_temps_2_sizes_are_ideal_not_minimums(fx, sizes, dept, territory, status):
    """« atteignant idéalement quinze structures … et idéalement huit dans les territoires ultramarins et la Corse »."""
    result = fx.judge(fx.grappe(*sizes, dept=dept, territory=territory, depot="2021-08-01"))
    size = fx.reason(result, "taille_grappe")
    assert size["statut"] == status and result.eligible
    assert "idéalement quinze" in size["source"]


def test_unknown_filing_date_weighs_both_temps(fx):
    result = fx.judge(fx.grappe(10, 5, depot=None))
    size = fx.reason(result, "taille_grappe")
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
def test_declared_territory_must_match_the_finess_departments(fx, dept, declared, status, eligible):
    """The territory follows the FINESS department: 97x overseas, 2A/2B Corsica (INSEE geographic code)."""
    result = fx.judge(fx.grappe(5, 5, 5, dept=dept, territory=declared))
    assert fx.reason(result, "territoire")["statut"] == status
    assert result.eligible is eligible


def test_thresholds_follow_the_finess_not_the_declaration(fx):
    # 8 metropolitan ESMS declared overseas: judged on the metropolitan threshold of 15, not 8.
    result = fx.judge(fx.grappe(3, 3, 2, territory="outre_mer"))
    assert fx.reason(result, "taille_grappe")["statut"] == "non_respectee"
    assert "métropole" in fx.reason(result, "taille_grappe")["message"]


def test_a_cluster_across_territories_takes_the_strictest_threshold(fx):
    cluster = fx.grappe(5, 5, 4, territory="corse")
    cluster["organismes"][2]["esms"].append(
        {
            "finess": fx.finess("2A", 9, 1),
            "nom": "EHPAD Ajaccio",
            "categorie": "PA",
            "equipement": False,
            "sans_dui": False,
        }
    )
    result = fx.judge(cluster)
    assert fx.reason(result, "territoire")["statut"] == "a_verifier"
    assert fx.reason(result, "taille_grappe")["statut"] == "respectee"  # 15 ESMS: the metropolitan threshold is met
    cluster["organismes"][0]["esms"].pop()
    assert fx.reason(fx.judge(cluster), "taille_grappe")["statut"] == "non_respectee"  # 14, not 8


# --- The 30-ESMS cap: DUI lines only, never the file order -----------------------------------------------


def test_equipment_is_not_capped(fx):
    """« 25k€ … 10k€ … dans la limite de 30 ESMS par projet » ; equipment (20 k€) is listed apart (AAP HdF 2021)."""
    cluster = fx.grappe(11, 10, 10)  # three small OG, 31 ESMS
    for esms in fx.esms(cluster):
        esms["equipement"] = True
    result = fx.judge(cluster)
    assert result.eligible and result.capacity == 30
    assert result.total == 30 * 25_000 + 31 * 20_000
    cap = fx.reason(result, "plafond_esms")
    assert (
        "dans la limite de 30 ESMS par projet" in cap["source"] and "l'équipement n'est pas plafonné" in cap["message"]
    )


def test_over_the_cap_the_ars_choice_gives_a_range(fx, tmp_path):
    cluster = fx.grappe(11, 10, 10, project="mise_en_conformite")
    for esms in fx.esms(cluster)[:2]:
        esms["sans_dui"] = True
    parameters = tmp_path / "ars.toml"
    parameters.write_text('source = "Convention ARS de test"\n[valeurs]\nsans_dui = 25000\n', encoding="utf-8")
    result = fx.judge(cluster, rules=with_parameters(fx.seed, parameters))
    data = result.to_dict()
    # 29 ESMS at 10 000 € and 2 at 25 000 €, 30 funded: 29 × 10 000 + 25 000 at least, 28 × 10 000 + 50 000 at most
    assert data["fourchette"] == {"min": 315_000, "max": 330_000}
    assert data["montant_total"] is None and data["detail"]["plafond"] == {"esms_retenus": 31, "esms_finances": 30}
    cap = fx.reason(result, "plafond_esms")
    assert cap["statut"] == "a_verifier" and "revient à l'ARS" in cap["message"]
    assert "315\u202f000 € à 330\u202f000 €" in cap["message"]


@pytest.mark.parametrize(
    ("count", "marked", "status", "funded"),
    [(31, 1, "refus_partiel", 30), (31, 2, "a_verifier", 31), (31, 0, "a_verifier", 31), (30, 1, "a_verifier", 30)],
    ids=["choix-consigne", "trop-de-marques", "sans-choix", "plafond-non-atteint"],
)
def test_the_ars_records_its_choice_in_the_file(fx, count, marked, status, funded):
    cluster = fx.grappe(count - 20, 10, 10)
    for esms in cluster["organismes"][2]["esms"][:marked]:
        esms["hors_plafond"] = True
    result = fx.judge(cluster)
    assert fx.reason(result, "plafond_esms")["statut"] == status
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
def test_the_result_never_depends_on_the_order_of_the_file(fx, seed):
    cluster = fx.grappe(14, 12, 12)  # 38 ESMS: over the cap once the refusals below are made
    esms = fx.esms(cluster)
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
    result = fx.judge(cluster)
    assert result.capacity == 30 and len(result.funded) == 34
    assert _canonical(fx.judge(shuffled)) == _canonical(result)


# --- A small OG is derived from its ESMS count, never trusted from a flag --------------------------------


@pytest.mark.parametrize(("size", "small"), [(14, True), (15, False)], ids=["14-esms", "15-esms"])
@pytest.mark.parametrize("flag", [True, False, None], ids=["petit", "non-petit", "sans-drapeau"])
def test_small_og_is_derived_from_its_esms_count(fx, size, small, flag):
    """« organismes gestionnaires de petite taille (moins de 15 ESMS) » (FAQ ARS Occitanie ESMS numérique)."""
    cluster = fx.grappe(size, 2, 2, accompagnement={"amoa": True, "pilotage": True})
    if flag is not None:
        cluster["organismes"][0]["petit"] = flag
    fx.esms(cluster)[0]["equipement"] = True
    result = fx.judge(cluster)
    data = result.to_dict()
    assert data["detail"]["organismes"][0]["petit"] is small
    equipment = data["detail"]["organismes"][0]["esms"][0]["parts"][1]
    assert equipment["accordee"] is small  # equipment
    assert all(p["accordee"] is small for p in data["detail"]["accompagnement"])  # AMOA and steering
    contradicted = flag is not None and flag != small
    assert fx.reason(result, "petit_og")["statut"] == ("a_verifier" if contradicted else "respectee")


def test_esms_managed_outside_the_cluster_count(fx):
    cluster = fx.grappe(5, 5, 5)
    cluster["organismes"][0]["esms_geres"] = 15
    fx.esms(cluster)[0]["equipement"] = True
    result = fx.judge(cluster)
    assert result.to_dict()["detail"]["organismes"][0]["esms"][0]["parts"][1]["accordee"] is False
    cluster["organismes"][0]["esms_geres"] = 14
    assert fx.judge(cluster).to_dict()["detail"]["organismes"][0]["esms"][0]["parts"][1]["accordee"] is True


# --- Field dominance -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pa", "ph", "status"),
    [(12, 4, "respectee"), (11, 4, "a_verifier"), (8, 7, "a_verifier"), (15, 0, "respectee")],
    ids=["75-pct", "73-pct", "8-7", "pa-seul"],
)
def test_field_dominance(fx, pa, ph, status):
    """« un ensemble très important d’ESMS d’un champ … et quelques ESMS d’un autre champ » ; « quelques » has no
    number: the share is a parameter (75 %, unverified), and a near-even split is at least to check."""
    cluster = fx.grappe(6, 5, pa + ph - 11)
    for esms in fx.esms(cluster)[pa:]:
        esms["categorie"] = "PH"
    result = fx.judge(cluster)
    field = fx.reason(result, "champ")
    assert field["statut"] == status and result.eligible
    assert "quelques ESMS d’un autre champ" in field["source"]
    parameter = next(p for p in result.to_dict()["parametres"] if p["nom"] == "part_min_champ_dominant")
    assert parameter["statut"] == "non_verifie"


# --- Regional rules: the region comes from the FINESS --------------------------------------------------


@pytest.mark.parametrize(("dept", "eligible"), [("31", False), ("59", True)], ids=["occitanie", "hauts-de-france"])
def test_occitanie_makes_dmp_and_mssante_mandatory(fx, dept, eligible):
    """« Vos projets devront obligatoirement mettre en oeuvre l’interopérabilité avec le DMP et la MSS. »
    (FAQ ARS Occitanie ESMS numérique)."""
    result = fx.judge(fx.grappe(5, 5, 5, dept=dept, services=("DMP", "EPRESCRIPTION")))
    services = fx.reason(result, "services_socles")
    assert result.eligible is eligible
    if not eligible:
        assert "règle régionale : Occitanie" in services["message"] and "MSSanté" in services["message"]
        assert "obligatoirement mettre en oeuvre" in services["source"]


def test_the_region_of_the_finess_wins_over_a_declared_region(fx):
    cluster = fx.grappe(5, 5, 5, dept="31", services=("DMP", "EPRESCRIPTION"))
    for esms in fx.esms(cluster):
        esms["region"] = "Hauts-de-France"
    result = fx.judge(cluster)
    assert result.region == "Occitanie" and not result.eligible
    assert "contraire au FINESS" in fx.reason(result, "multiregional")["message"]


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
def test_temps_2_calendar(fx, depot, status):
    """« Les AAP (du temps 2 de la phase l’amorçage) sont lancés depuis le 1 er juillet 2021. Vous disposez de trois
    mois et demi pour déposer votre candidature. » (« Le médico-social et le Ségur numérique »)."""
    result = fx.judge(fx.grappe(5, 5, 5, depot=depot))
    calendar = fx.reason(result, "calendrier")
    assert calendar["statut"] == status
    if depot.startswith("2021-07") or depot.startswith("2021-10"):
        assert "temps 2" in calendar["message"] and "trois mois et demi" in calendar["source"]


def test_the_temps_1_convention_deadline_does_not_bind_temps_2(fx):
    late_convention = {"depot": "2021-08-01", "convention": "2021-11-02"}
    assert fx.reason(fx.judge(fx.grappe(5, 5, 5, dates=late_convention)), "calendrier")["statut"] == "respectee"
    temps_1 = {"depot": "2021-03-01", "convention": "2021-07-01"}
    assert fx.reason(fx.judge(fx.grappe(5, 5, 5, dates=temps_1)), "calendrier")["statut"] == "non_respectee"


# --- Exactly one project holder ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("holders", "status", "eligible"),
    [((), "a_verifier", True), ((0,), "respectee", True), ((0, 2), "non_respectee", False)],
    ids=["aucun", "un", "deux"],
)
def test_exactly_one_project_holder(fx, holders, status, eligible):
    """« le porteur de projet (1 OG du groupement) » (FAQ ARS PACA) ; « Une seule lettre par projet » (FAQ ARS
    Occitanie)."""
    cluster = fx.grappe(5, 5, 5)
    for index in holders:
        cluster["organismes"][index]["porteur"] = True
    result = fx.judge(cluster)
    holder = fx.reason(result, "porteur")
    assert holder["statut"] == status and result.eligible is eligible
    assert "1 OG du groupement" in holder["source"] and "Une seule lettre par projet" in holder["source"]


def test_an_og_alone_is_its_own_holder(fx):
    assert fx.reason(fx.judge(fx.grappe(15)), "porteur")["statut"] == "respectee"


# --- Where the sources differ: à vérifier, quoting both ------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "status"),
    [(["RESAH", "SEGUR"], "respectee"), (["RESAH"], "a_verifier"), (["SEGUR"], "a_verifier"), ([], "non_respectee")],
)
def test_referencing_an_acquisition_needs_in_2021(fx, labels, status):
    cluster = fx.grappe(5, 5, 5)
    cluster["solution"]["referencement"] = labels
    referencing = fx.reason(fx.judge(cluster), "referencement")
    assert referencing["statut"] == status
    # both sentences, each with its document
    assert "prendre contact avec le RESAH pour un référencement RESAH" in referencing["source"]
    assert "Devront recourir au marché national dédié" in referencing["source"]
    assert "FAQ ARS Occitanie ESMS numérique" in referencing["source"]
    assert "« Le médico-social et le Ségur numérique »" in referencing["source"]


def test_instructing_ars_when_the_sources_point_to_two_regions(fx):
    cluster = fx.grappe(6, 5, 5)
    for entry in cluster["organismes"][2]["esms"]:
        entry["finess"] = "13" + entry["finess"][2:]
    cluster["organismes"][2].update(porteur=True, region_siege="Provence-Alpes-Côte d'Azur")
    result = fx.judge(cluster)
    regional = fx.reason(result, "multiregional")
    assert regional["statut"] == "a_verifier" and result.instructing is None
    assert "siège du porteur de projet" in regional["source"] and "l’ARS qui a le plus d’ESMS" in regional["source"]
    cluster["organismes"][2]["region_siege"] = "Hauts-de-France"
    assert fx.judge(cluster).instructing == "Hauts-de-France"


@pytest.mark.parametrize(("deployed", "quoted"), [("2024-03-31", None), ("2024-04-15", True), ("2024-05-02", False)])
def test_sons_update_deadline_given_twice_by_one_source(fx, deployed, quoted):
    """« avant le 31/03/2024 au plus tard » and « avant le 31/04/2024 au plus tard », both in the same document."""
    cluster = fx.grappe(5, 5, 5, project="mise_en_conformite")
    fx.esms(cluster)[0].update(bon_commande_sons=True, date_deploiement_sons=deployed)
    sons = fx.reason(fx.judge(cluster), "bon_commande_sons")
    assert sons["statut"] == ("respectee" if quoted is None else "a_verifier")
    if quoted is not None:
        assert ("31/04/2024" in sons["message"]) is quoted


# --- Amounts no source fixes are parameters ------------------------------------------------------------


def test_no_dui_esms_in_a_conformity_project_is_a_parameter(fx, tmp_path):
    cluster = fx.grappe(5, 5, 5, project="mise_en_conformite")
    fx.esms(cluster)[0]["sans_dui"] = True
    result = fx.judge(cluster)
    data = result.to_dict()
    assert data["montant_total"] is None and data["montant_calcule"] is None
    parameter = next(p for p in data["parametres"] if p["nom"] == "sans_dui")
    assert parameter["statut"] == "a_renseigner" and parameter["valeur"] is None
    assert "ESMS sans DUI" in fx.reason(result, "montants")["message"]

    filled = tmp_path / "ars.toml"
    filled.write_text('source = "AAP ARS de test 2021"\n[valeurs]\nsans_dui = 25000\n', encoding="utf-8")
    result = fx.judge(cluster, rules=with_parameters(fx.seed, filled))
    assert result.total == 14 * 10_000 + 25_000
    parameter = next(p for p in result.to_dict()["parametres"] if p["nom"] == "sans_dui")
    assert parameter["statut"] == "renseigne" and parameter["origine"] == "AAP ARS de test 2021"


def test_press_amounts_are_shown_unverified(fx):
    result = fx.judge(fx.grappe(5, 5, 5, accompagnement={"amoa": True}))
    amoa = next(p for p in result.to_dict()["parametres"] if p["nom"] == "amoa")
    assert amoa["statut"] == "non_verifie" and amoa["valeur"] == 15_000 and "directions.fr" in amoa["origine"]
