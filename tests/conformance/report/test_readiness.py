"""Tiles and per-profile verdicts come from the runner's roll-up; uncovered services are never passing."""

from dataclasses import replace

from lxml import html as lxml_html

from dui_conformance.model import Location, Outcome, RunResult, ScenarioResult, StepResult, failed, passed, verdict_of
from dui_conformance.report import render_html, render_markdown
from dui_conformance.report.readiness import NOT_COVERED, SOCLE_SERVICES, assess, corrections, document_key
from dui_conformance.requirements import Catalogue, load_catalogue
from dui_conformance.runner import roll_up


def _run(scenarios: list[ScenarioResult], profile: str = "recette", whole_catalogue: bool = False) -> RunResult:
    """A run rolled up by the runner, over the requirements its scenarios verify (or the whole catalogue)."""
    catalogue = load_catalogue()
    if not whole_catalogue:
        catalogue = Catalogue([catalogue[rid] for rid in sorted({rid for s in scenarios for rid in s.requirements})])
    return RunResult(
        "essai",
        "check",
        profile,
        "test",
        "t0",
        "t1",
        sorted({s.subject for s in scenarios}),
        scenarios,
        roll_up(catalogue, scenarios, profile),
        {"name": "dui-conformance", "version": "0.1.0"},
    )


def _scenario(subject: str, findings, requirements=None) -> ScenarioResult:
    requirements = requirements or sorted({f.requirement for f in findings})
    return ScenarioResult(
        f"plan::{subject}::{requirements[0]}",
        "Fonctionnalité",
        "f.feature",
        "Scénario",
        ["cda", *requirements],
        requirements,
        subject,
        [StepResult("Alors", "contrôle", Outcome.PASS, 0.0, list(findings))],
    )


def _blocking_in_only(profile: str) -> str:
    """A catalogue requirement that blocks in ``profile`` and not in some other profile."""
    return next(
        r.id for r in load_catalogue() if r.service == "DMP" and r.blocks(profile) and not r.blocks("bac-a-sable")
    )


def test_uncovered_services_are_not_covered_never_passing():
    run = _run([_scenario("a.xml", [passed("INS-01", "ok", Location("a.xml"))])], whole_catalogue=True)
    tiles = {t.code: t for t in assess(run).tiles}
    assert [t.code for t in assess(run).tiles] == list(SOCLE_SERVICES)
    assert tiles["INS"].covered and tiles["INS"].verdicts["recette"] != "non conforme"
    # DMP has requirements in the catalogue but none was evaluated; MSS/PSC/e-prescription have none (yet).
    for code in ("DMP", "MSS", "PSC", "EPRESCRIPTION"):
        assert not tiles[code].covered
        assert set(tiles[code].verdicts.values()) == {NOT_COVERED}
    catalogue_services = {r.service for r in load_catalogue()}
    for code in ("MSS", "PSC"):  # covered as soon as their requirements land and are evaluated
        assert ("aucune exigence" in tiles[code].reason) == (code not in catalogue_services)


def test_verdicts_per_profile_follow_the_runner_roll_up():
    rid = _blocking_in_only("recette")
    run = _run(
        [_scenario("a.xml", [failed(rid, "ko", Location("a.xml", "/x", 3)), passed("INS-01", "ok", Location("a.xml"))])]
    )
    readiness = assess(run)
    for profile in ("bac-a-sable", "recette", "homologation"):
        rolled = replace(
            run,
            profile=profile,
            requirements=[
                r for r in roll_up(load_catalogue(), run.scenarios, profile) if r.id in {x.id for x in run.requirements}
            ],
        )
        assert readiness.verdicts[profile] == rolled.verdict
        dmp = [t for t in readiness.tiles if t.code == "DMP"][0]
        service_only = [r for r in rolled.requirements if r.service == "DMP"]
        assert dmp.verdicts[profile] == verdict_of(service_only, False, rolled.interrupted, NOT_COVERED)
    assert readiness.verdicts["recette"] == "non conforme" and readiness.verdicts["bac-a-sable"] == "conforme"
    # In bac-a-sable the DMP failure does not block: the DMP was not judged there, not « non concluant ».
    assert [t for t in readiness.tiles if t.code == "DMP"][0].verdicts["bac-a-sable"] == NOT_COVERED


def test_a_tile_follows_the_run_verdict_rule():
    """Issue 17: a service tile said « non concluant » under a profile whose verdict was « conforme ». One rule for
    both (model.verdict_of): a service whose blocking requirements none was decided in a profile is « non couvert »
    there; under a conforme profile every tile is conforme or non couvert, in the HTML and in summary.md."""
    rid = _blocking_in_only("recette")
    run = _run(
        [_scenario("a.xml", [passed(rid, "ok", Location("a.xml")), passed("INS-01", "ok", Location("a.xml"))])],
        profile="bac-a-sable",
    )
    readiness = assess(run)
    assert readiness.verdicts == {"bac-a-sable": "conforme", "recette": "conforme", "homologation": "conforme"}
    dmp = [t for t in readiness.tiles if t.code == "DMP"][0]
    assert dmp.covered and dmp.verdicts == {
        "bac-a-sable": NOT_COVERED,
        "recette": "conforme",
        "homologation": "conforme",
    }
    for tile in readiness.tiles:
        assert set(tile.verdicts.values()) <= {"conforme", NOT_COVERED}, tile
    summary = render_markdown(run)
    assert "non concluant" not in summary
    assert "| DMP | ○ non couvert | ✔ conforme | ✔ conforme |" in summary


def test_tiles_in_html_for_passing_and_failing_runs():
    ok = _run([_scenario("a.xml", [passed("INS-01", "ok", Location("a.xml"))])])
    ko = _run([_scenario("a.xml", [failed("INS-01", "ko", Location("a.xml", "/x", 1))])])
    for run, expected in ((ok, "conforme"), (ko, "non conforme")):
        tree = lxml_html.fromstring(render_html(run))
        assert tree.xpath("//article[@id='tuile-INS']")[0].get("data-verdict") == expected
        assert tree.xpath("//article[@id='tuile-MSS']")[0].get("data-verdict") == NOT_COVERED


def test_documents_failures_first_with_counts_per_service():
    run = _run(
        [
            _scenario(
                "/x/ok.xml",
                [passed("INS-01", "ok", Location("/x/ok.xml")), passed("DMP-01", "ok", Location("/x/ok.xml"))],
            ),
            _scenario(
                "/x/ko.xml",
                [passed("INS-01", "ok", Location("/x/ko.xml")), failed("DMP-01", "ko", Location("/x/ko.xml"))],
            ),
        ]
    )
    rows = assess(run).documents
    assert [r.subject for r in rows] == ["/x/ko.xml", "/x/ok.xml"]
    assert rows[0].cells == {"INS": {"pass": 1}, "DMP": {"fail": 1}} and rows[0].kind == "cda"
    assert assess(run).failures_by_kind == [("cda", 1, 2)]
    assert document_key(run) == {"/x/ko.xml": "ko.xml", "/x/ok.xml": "ok.xml"}


def test_other_profiles_undetermined_without_the_run_catalogue():
    run = _run([_scenario("a.xml", [passed("INS-01", "ok", Location("a.xml"))])])
    from dui_conformance.model import RequirementResult

    run.requirements.append(RequirementResult("DMP-999", "DMP", "ajoutée", "DOIT", "x", True, Outcome.PASS, [], []))
    verdicts = assess(run).verdicts
    assert verdicts["recette"] == "conforme"
    assert verdicts["bac-a-sable"] == verdicts["homologation"] == "indéterminé"


def test_every_correction_names_a_catalogue_requirement():
    catalogue = load_catalogue()
    assert set(corrections()) <= {r.id for r in catalogue}
    for text in corrections().values():
        assert text.endswith(".") and text.count(". ") == 0  # one sentence


def test_other_profiles_equal_rolling_the_scenarios_up_again():
    from dui_conformance.report.readiness import profile_runs

    rid = _blocking_in_only("recette")
    run = _run(
        [
            _scenario("a.xml", [failed(rid, "ko", Location("a.xml")), passed("INS-01", "ok", Location("a.xml"))]),
            _scenario("b.xml", [], requirements=["INS-02"]),
        ],
        whole_catalogue=True,
    )
    for profile, prun in profile_runs(run).items():
        again = roll_up(load_catalogue(), run.scenarios, profile)
        assert [r.to_dict() for r in prun.requirements] == [r.to_dict() for r in again]


def test_undecided_blocking_requirements_are_listed_with_their_reason():
    from dui_conformance.model import skipped

    run = _run(
        [_scenario("a.xml", [skipped("INS-01", "Matricule illisible : impossible de conclure.", Location("a.xml"))])],
        whole_catalogue=True,
    )
    article = lxml_html.fromstring(render_html(run)).xpath("//article[@id='non-decidees']")[0]
    ins01 = article.xpath(".//li[@data-exigence='INS-01']")[0]
    assert "données insuffisantes" in ins01.text_content() and "impossible de conclure" in ins01.text_content()


def test_homologation_column_requires_the_referential_a_recette_run_did_not_use():
    """A recette run without --referentiel-cda leaves DMP-30/31 « non applicable »; the homologation column
    must show what homologation would have said: « données insuffisantes », so never « conforme »."""
    from dui_conformance.model import omitted
    from dui_conformance.report.readiness import profile_runs

    missing = "Référentiel officiel non fourni (--referentiel-cda) : contrôle non demandé pour ce profil."
    run = _run(
        [
            _scenario("a.xml", [passed("INS-01", "ok", Location("a.xml"))]),
            _scenario("a.xml", [omitted(r, missing, Location("a.xml")) for r in ("DMP-30", "DMP-31")]),
        ]
    )
    runs = profile_runs(run)
    assert runs["recette"].verdict == "conforme"
    homologation = {r.id: r for r in runs["homologation"].requirements}
    assert homologation["DMP-30"].outcome is Outcome.SKIP and homologation["DMP-30"].blocking
    assert runs["homologation"].verdict == "non concluant"
    # a run whose inputs the official layer never concerned (no CDA) keeps « non applicable »
    other = _run([_scenario("a.hl7", [passed("INS-01", "ok", Location("a.hl7"))])], whole_catalogue=True)
    assert {r.id: r.outcome for r in profile_runs(other)["homologation"].requirements}["DMP-30"] is not Outcome.SKIP
