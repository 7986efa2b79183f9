"""Issue 18, part 2 (funding side): what the harness cannot see is to check; no pro-rata unless the targets say so."""

import pytest

from dui_conformance.funding import Condition, UsageEvaluation, with_parameters

MET = Condition("conformite", "remplie", "aucune exigence bloquante en échec")


def _usage(cluster, bounds, failing=(), example=False, prorata=False) -> UsageEvaluation:
    rows = {
        e["finess"]: {
            "finess": e["finess"],
            "tranche_finale_liberable": e["finess"] not in failing,
            "motif": "cible non atteinte" if e["finess"] in failing else "toutes les cibles atteintes",
        }
        for e in bounds.esms(cluster)
    }
    return UsageEvaluation("usage.json", example, prorata, rows)


def _tranches(result) -> dict:
    return {t["id"]: t for t in result.to_dict()["tranches"]}


def test_an_invoice_the_harness_cannot_see_is_never_a_green_tick(bounds):
    cluster = bounds.grappe(5, 5, 5, dates={"depot": "2021-03-01", "convention": "2021-06-01"})
    tranches = _tranches(bounds.judge(cluster, conformity=MET, usage=_usage(cluster, bounds)))
    for tranche in tranches.values():
        assert tranche["statut"] == "a_verifier", tranche
        assert tranche["montant_liberable"] == 0 and tranche["montant_sous_reserve"] == tranche["montant"] > 0
    assert tranches["fin_parametrage"]["sous_reserve"] == ["facture_parametrage"]
    assert tranches["fin_deploiement"]["sous_reserve"] == ["facture_deploiement"]
    assert tranches["demarrage"]["sous_reserve"] == ["convention"]  # a declared signature is the holder's word


def test_a_convention_declared_after_its_deadline_is_unmet(bounds):
    cluster = bounds.grappe(5, 5, 5, dates={"depot": "2021-03-01", "convention": "2021-07-01"})
    first = _tranches(bounds.judge(cluster))["demarrage"]
    assert first["conditions"][0]["statut"] == "non_remplie" and "30 juin 2021" in first["conditions"][0]["message"]
    assert first["statut"] == "sans_objet"  # the calendar rule already makes the cluster not eligible


def test_what_the_harness_sees_can_be_released(bounds):
    """The 2023 split has no invoice in its last tranche: conformity and usage, both evidenced, release it."""
    cluster = bounds.grappe(5, 5, 5, campaign="generalisation-2022-2025", depot="2023-03-01")
    last = _tranches(bounds.judge(cluster, conformity=MET, usage=_usage(cluster, bounds)))["fin_projet"]
    assert last["statut"] == "liberable" and last["montant_liberable"] == last["montant"]


@pytest.mark.parametrize(
    ("failing", "prorata", "status"),
    [(0, False, "liberable"), (1, False, "bloquee"), (1, True, "partiellement_liberable"), (15, True, "bloquee")],
    ids=["toutes-atteintes", "une-manque", "une-manque-prorata", "aucune-prorata"],
)
def test_no_pro_rata_release_unless_the_targets_file_says_so(bounds, tmp_path, failing, prorata, status):
    filled = tmp_path / "ars.toml"
    filled.write_text('source = "AAP 2023"\n[valeurs]\nacquisition = 20000\n', encoding="utf-8")
    cluster = bounds.grappe(5, 5, 5, campaign="generalisation-2022-2025", depot="2023-03-01")
    short = {e["finess"] for e in bounds.esms(cluster)[:failing]}
    result = bounds.judge(
        cluster,
        rules=with_parameters(bounds.general, filled),
        conformity=MET,
        usage=_usage(cluster, bounds, failing=short, prorata=prorata),
    )
    last = _tranches(result)["fin_projet"]
    assert last["statut"] == status
    expected = {"liberable": 150_000, "partiellement_liberable": 150_000 * 14 // 15, "bloquee": 0}[status]
    assert last["montant_liberable"] == expected


def test_example_targets_decide_nothing(bounds):
    cluster = bounds.grappe(5, 5, 5, campaign="generalisation-2022-2025", depot="2023-03-01")
    last = _tranches(bounds.judge(cluster, conformity=MET, usage=_usage(cluster, bounds, example=True)))["fin_projet"]
    assert last["statut"] == "non_decidable" and last["montant_liberable"] == 0


@pytest.mark.parametrize(("failing", "status"), [(1, "a_verifier"), (2, "bloquee")], ids=["30-sur-31", "29-sur-31"])
def test_over_the_cap_usage_is_decided_on_the_esms_the_ars_funds(bounds, failing, status):
    cluster = bounds.grappe(11, 10, 10)
    short = {e["finess"] for e in bounds.esms(cluster)[:failing]}
    result = bounds.judge(cluster, conformity=MET, usage=_usage(cluster, bounds, failing=short))
    usage = next(c for c in _tranches(result)["fin_deploiement"]["conditions"] if c["id"] == "usage")
    assert usage["statut"] == ("a_verifier" if failing == 1 else "non_remplie")
    assert _tranches(result)["fin_deploiement"]["statut"] == status


def test_an_esms_the_ars_leaves_out_of_the_cap_gates_nothing(bounds):
    cluster = bounds.grappe(11, 10, 10)
    left_out = bounds.esms(cluster)[-1]
    left_out["hors_plafond"] = True
    result = bounds.judge(cluster, conformity=MET, usage=_usage(cluster, bounds, failing={left_out["finess"]}))
    usage = next(c for c in _tranches(result)["fin_deploiement"]["conditions"] if c["id"] == "usage")
    assert usage["statut"] == "remplie" and "30 ESMS financé(s) sur 30" in usage["message"]
