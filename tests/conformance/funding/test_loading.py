"""Funding inputs (funding/loading.py): the cluster file's errors with their lines, the conformity condition read
from report.json and the usage condition read from a usage file, and the last tranche they gate."""

import json

import pytest

from dui_conformance.funding import InputError, conformity_from_report, load_cluster, usage_from_file
from dui_conformance.model import Outcome, RequirementResult, RunResult


def _report(tmp_path, outcomes: dict[str, tuple[str, bool, Outcome]], verdict_error=False):
    requirements = [
        RequirementResult(rid, service, "énoncé", "DOIT", "source", blocking, outcome, [], [])
        for rid, (service, blocking, outcome) in outcomes.items()
    ]
    run = RunResult("run-1", "check", "recette", "test", "t0", "t1", [], [], requirements, {"name": "dui-conformance"})
    data = run.to_dict()
    if verdict_error:
        data["verdict"] = "erreur"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _tranche(result, tranche_id):
    return next(t for t in result.to_dict()["tranches"] if t["id"] == tranche_id)


def test_last_tranche_waits_for_usage_and_conformity(fx):
    last = _tranche(fx.judge(fx.make()), "fin_deploiement")
    assert last["statut"] == "en_attente" and last["montant_liberable"] == 0
    assert {c["id"]: c["statut"] for c in last["conditions"]} == {
        "facture_deploiement": "a_verifier",
        "conformite": "non_evaluee",
        "usage": "non_evaluee",
    }


def test_blocking_dmp_failure_leaves_conformity_unmet(fx, ruleset, tmp_path):
    report = _report(
        tmp_path,
        {
            "DMP-40": ("DMP", True, Outcome.FAIL),
            "MSS-01": ("MSS", True, Outcome.PASS),
            "INS-01": ("INS", True, Outcome.FAIL),
        },
    )
    conformity = conformity_from_report(report, ruleset.data["conformite"]["services"])
    assert conformity.status == "non_remplie" and "DMP-40" in conformity.message and "INS-01" not in conformity.message
    last = _tranche(fx.judge(fx.make(), conformity=conformity), "fin_deploiement")
    assert last["statut"] == "bloquee" and last["montant_liberable"] == 0


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ({"DMP-40": ("DMP", True, Outcome.PASS), "MSS-01": ("MSS", True, Outcome.PASS)}, "remplie"),
        ({"DMP-40": ("DMP", False, Outcome.FAIL), "MSS-01": ("MSS", True, Outcome.PASS)}, "remplie"),
        ({"DMP-40": ("DMP", True, Outcome.PASS), "MSS-01": ("MSS", True, Outcome.FAIL)}, "non_remplie"),
        ({"DMP-40": ("DMP", True, Outcome.PASS)}, "non_evaluee"),
        ({"DMP-40": ("DMP", True, Outcome.PASS), "MSS-01": ("MSS", True, Outcome.NOT_RUN)}, "non_evaluee"),
        (
            {
                "DMP-40": ("DMP", True, Outcome.PASS),
                "DMP-55": ("DMP", False, Outcome.ADVISORY),
                "MSS-01": ("MSS", True, Outcome.PASS),
            },
            "remplie",
        ),
    ],
    ids=["conforme", "echec-non-bloquant", "echec-mss", "mss-non-couvert", "mss-non-evalue", "avertissement"],
)
def test_conformity_condition_from_report(ruleset, tmp_path, outcomes, status):
    assert conformity_from_report(_report(tmp_path, outcomes), ruleset.data["conformite"]["services"]).status == status


def test_a_report_with_a_harness_error_is_not_evaluated(ruleset, tmp_path):
    report = _report(tmp_path, {"DMP-40": ("DMP", True, Outcome.PASS), "MSS-01": ("MSS", True, Outcome.PASS)}, True)
    assert conformity_from_report(report, ["DMP", "MSS"]).status == "non_evaluee"


def test_malformed_report_is_bad_input(tmp_path):
    from dui_conformance.funding import InputError

    path = tmp_path / "report.json"
    path.write_text(
        json.dumps({"requirements": [{"id": "DMP-40", "service": "DMP", "outcome": "fail"}]}), encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"requirements\[0\].*blocking"):
        conformity_from_report(path, ["DMP"])


def _usage(tmp_path, cluster, fx, failing=(), example=True, prorata=None):
    rows = [
        {
            "finess": e["finess"],
            "tranche_finale_liberable": e["finess"] not in failing,
            "motif": "cible non atteinte" if e["finess"] in failing else "toutes les cibles atteintes",
        }
        for e in fx.esms(cluster)
    ]
    targets = {"exemple": example} | ({} if prorata is None else {"prorata": prorata})
    path = tmp_path / "usage.json"
    path.write_text(json.dumps({"cibles": targets, "esms": rows}), encoding="utf-8")
    return usage_from_file(path)


def test_usage_releases_the_last_tranche_esms_by_esms(fx, ruleset, tmp_path):
    cluster = fx.make(sizes=(6, 5, 5))
    report = _report(tmp_path, {"DMP-40": ("DMP", True, Outcome.PASS), "MSS-01": ("MSS", True, Outcome.PASS)})
    conformity = conformity_from_report(report, ["DMP", "MSS"])
    fx.esms(cluster)[0]["equipement"] = True  # 45 000 € out of 420 000 €
    first = fx.esms(cluster)[0]["finess"]

    # Issue 18: example targets decide nothing.
    usage = _usage(tmp_path, cluster, fx, failing={first})
    result = fx.judge(cluster, conformity=conformity, usage=usage)
    last = _tranche(result, "fin_deploiement")
    assert last["statut"] == "non_decidable" and last["montant_liberable"] == 0
    assert "exemple" in next(c for c in last["conditions"] if c["id"] == "usage")["message"]
    assert result.to_dict()["detail"]["organismes"][0]["esms"][0]["usage"]["statut"] == "non_remplie"

    # Issue 18: no pro-rata release unless the targets file says so.
    usage = _usage(tmp_path, cluster, fx, failing={first}, example=False)
    last = _tranche(fx.judge(cluster, conformity=conformity, usage=usage), "fin_deploiement")
    assert last["statut"] == "bloquee" and last["montant_liberable"] == 0

    usage = _usage(tmp_path, cluster, fx, failing={first}, example=False, prorata=True)
    result = fx.judge(cluster, conformity=conformity, usage=usage)
    last = _tranche(result, "fin_deploiement")
    assert result.total == 16 * 25_000 + 20_000
    assert last["montant"] == 84_000
    # Issue 18: the invoice the harness cannot see leaves the tranche to check, never released.
    assert last["statut"] == "a_verifier" and last["montant_liberable"] == 0
    assert last["montant_sous_reserve"] == 84_000 * 375_000 // 420_000
    assert first not in last["esms_liberables"] and len(last["esms_liberables"]) == 15
    assert last["sous_reserve"] == ["facture_deploiement"]
    first_esms = result.to_dict()["detail"]["organismes"][0]["esms"][0]
    assert first_esms["usage"]["statut"] == "non_remplie"

    usage = _usage(tmp_path, cluster, fx, example=False)
    last = _tranche(fx.judge(cluster, conformity=conformity, usage=usage), "fin_deploiement")
    assert last["statut"] == "a_verifier" and last["montant_sous_reserve"] == last["montant"]


def test_esms_missing_from_usage_is_not_released(fx, tmp_path):
    cluster = fx.make()
    usage = _usage(tmp_path, fx.make(sizes=(5, 5)), fx)
    result = fx.judge(cluster, usage=usage)
    missing = result.to_dict()["detail"]["organismes"][2]["esms"][0]["usage"]
    assert missing["statut"] == "non_evaluee" and "absent" in missing["message"]


def test_usage_for_an_esms_outside_every_cluster_is_bad_input(fx, tmp_path, capfd, monkeypatch):
    import io

    from rich.console import Console

    from dui_conformance import cli

    monkeypatch.setattr(cli, "console", Console(file=io.StringIO(), width=300))
    cluster = fx.make()
    _usage(tmp_path, fx.make(sizes=(5, 5, 5, 1)), fx)
    cluster_path = fx.write_yaml(tmp_path / "g.yaml", cluster)
    assert cli.main(["financement", str(cluster_path), "--usage", str(tmp_path / "usage.json")]) == 2
    assert "absent de tout fichier de grappe" in cli.console.file.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\na: 2\n", "clé en double"),
        ("x: &a [1]\ny: *a\n", "alias"),
        ("a: [\n", "YAML invalide"),
        ("", "vide"),
    ],
)
def test_hostile_or_broken_yaml(tmp_path, text, expected):
    path = tmp_path / "g.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        load_cluster(path)


def test_json_duplicate_keys_are_refused(tmp_path):
    path = tmp_path / "g.json"
    path.write_text('{"campagne": "a", "campagne": "b"}', encoding="utf-8")
    with pytest.raises(InputError, match="clé en double : campagne"):
        load_cluster(path)


def test_json_cluster_file_errors_have_lines(tmp_path, fx):
    cluster = fx.make()
    cluster["organismes"][1]["esms"][2]["equipement"] = "oui"
    path = tmp_path / "g.json"
    path.write_text(json.dumps(cluster, indent=2), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_cluster(path)
    assert caught.value.errors[0].startswith("organismes[1].esms[2].equipement (ligne ")
