"""Issue 18, part 5: what an ARS reviewer reads shows no internal value — in the text output, in the JSON labels
meant for people, and in the readiness report's funding block."""

import html
import io
import re

import pytest
from rich.console import Console

from dui_conformance.funding import Condition, UsageEvaluation, with_parameters
from dui_conformance.funding.ranking import rank
from dui_conformance.funding.render import show_funding, show_ranking
from dui_conformance.model import RunResult
from dui_conformance.report import ReportContext
from dui_conformance.report.html import render_html

# JSON keys whose values are written for people (the others are codes for programs).
PEOPLE = {"message", "source", "titre", "libelle", "condition", "motif", "statut_libelle", "part_libelle", "pourquoi"}
FORBIDDEN = [
    (re.compile(r"\d ?%"), "a percent without the narrow no-break space"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "an ISO date"),
    (re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"), "an internal code (rule, status, territory, part)"),
    (re.compile(r"\b(?:metropole|respectee|liberable|seeds?)\b"), "an internal code"),
    # 000 to 004 standing alone (not inside a FINESS, nor a group of thousands)
    (re.compile(r"(?<![\w\u202f])(?<!\d )00[0-4](?![\w\u202f])(?! \d)"), "a seed number instead of a document title"),
]


def _scenarios(bounds, tmp_path) -> list:
    """Clusters that walk through every rule's statuses, under both campaigns."""
    results = []
    example = bounds.grappe(5, 5, 5, accompagnement={"amoa": True, "pilotage": True})
    example["organismes"][0].update(porteur=True, region_siege="Hauts-de-France", petit=False)
    bounds.esms(example)[0]["equipement"] = True
    results.append(bounds.judge(example))

    over = bounds.grappe(12, 10, 10, project="mise_en_conformite", depot=None)
    esms = bounds.esms(over)
    esms[0]["sans_dui"] = True
    esms[1].update(bon_commande_sons=True, date_commande_sons="2024-01-15", date_deploiement_sons="2024-04-15")
    esms[2]["finess"] = esms[3]["finess"]
    esms[4]["finess"] = esms[30]["finess"]
    esms[5]["finess"] = "59ABC0001"
    for entry in esms[20:]:
        entry.update(categorie="PH")
    over["solution"]["referencement"] = []
    over["derogation"] = {"champ": "PA", "engagement_editeur": False}
    over["organismes"][0]["porteur"] = True
    over["organismes"][1].update(porteur=True, region_siege="Occitanie")
    results.append(bounds.judge(over, conformity=Condition("conformite", "non_remplie", "DMP-40 en échec")))

    occitanie = bounds.grappe(8, 7, dept="31", territory="outre_mer", depot="2021-10-20", services=("DMP", "PSC"))
    occitanie["solution"]["referencement"] = ["SEGUR"]
    for entry in occitanie["organismes"][1]["esms"]:
        entry["region"] = "Bretagne"
    results.append(bounds.judge(occitanie))

    filled = tmp_path / "ars.toml"
    filled.write_text('source = "AAP 2025 de test"\n[valeurs]\nacquisition = 20000\nplafond_esms = 40\n', "utf-8")
    general = bounds.grappe(
        30,
        19,
        campaign="generalisation-2022-2025",
        depot="2025-02-03",
        appel="regional",
        dept="974",
        territory="outre_mer",
    )
    for entry in general["organismes"][0]["esms"][:10]:
        entry.update(categorie="AHI", eligible_sons=False)
    general["organismes"][0]["esms"][10]["categorie"] = "USLD"
    usage = UsageEvaluation(
        "usage.json",
        False,
        True,
        {
            e["finess"]: {"finess": e["finess"], "tranche_finale_liberable": False, "motif": "cible non atteinte"}
            for e in bounds.esms(general)
        },
    )
    results.append(bounds.judge(general, rules=with_parameters(bounds.general, filled), usage=usage))
    results.append(bounds.judge(bounds.grappe(12, campaign="generalisation-2022-2025", depot="2024-02-01")))
    return results


def _people_texts(value, key=None):
    if isinstance(value, dict):
        for inner_key, inner in value.items():
            yield from _people_texts(inner, inner_key)
    elif isinstance(value, list):
        for inner in value:
            yield from _people_texts(inner, key)
    elif isinstance(value, str) and key in PEOPLE:
        yield value


def _internal_values(text: str) -> list[str]:
    return [f"{why}: {m.group(0)!r}" for pattern, why in FORBIDDEN for m in pattern.finditer(text)]


def test_the_scenarios_walk_through_every_status(bounds, tmp_path):
    statuses = {r["statut"] for result in _scenarios(bounds, tmp_path) for r in result.to_dict()["raisons"]}
    assert statuses == {"respectee", "non_respectee", "refus_partiel", "a_verifier", "non_applicable"}


def test_json_labels_meant_for_people(bounds, tmp_path):
    for result in _scenarios(bounds, tmp_path):
        for text in _people_texts(result.to_dict()):
            assert not _internal_values(text), (text, _internal_values(text))


def test_text_output(bounds, tmp_path):
    results = _scenarios(bounds, tmp_path)
    console = Console(file=io.StringIO(), width=400, color_system=None)
    for result in results:
        show_funding(console, result.to_dict())
    show_ranking(console, rank(results, 1_000_000), 1_000_000, "Hauts-de-France", "règle de priorité")
    text = console.file.getvalue()
    assert "montant non fixé" in text and "à vérifier" in text
    assert not _internal_values(text), _internal_values(text)


@pytest.mark.parametrize("index", range(5))
def test_the_readiness_report_funding_block(bounds, tmp_path, index):
    result = _scenarios(bounds, tmp_path)[index]
    run = RunResult("run-1", "check", "recette", "test", "t0", "t1", [], [], [], {"name": "dui-conformance"})
    page = render_html(run, ReportContext(funding=result.to_dict()))
    start = page.index('id="financement"')
    markup = page[start : page.index("</section>", start)]
    block = html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", markup)))  # keeps no-break spaces
    assert result.ruleset.title in block
    assert not _internal_values(block), _internal_values(block)


MARKUP = ("[bold]x[/bold]", "'dui-conformance[distribue]'", "[red]Éditeur[/red]", "fin\\")


def test_text_from_the_inputs_prints_as_written_never_as_markup(bounds):
    """Issue 17: rich read brackets in names as markup (« [bold]x[/bold] » printed « x »). Every name, label and
    reason from the inputs is escaped, in the cluster's output and in the ranking."""
    cluster = bounds.grappe(3, 2, nom=f"Grappe {MARKUP[0]}")
    cluster["solution"].update(nom=MARKUP[1], editeur=MARKUP[2])
    cluster["organismes"][0]["nom"] = f"OG {MARKUP[0]}"
    cluster["organismes"][1]["nom"] = f"OG {MARKUP[3]}"
    bounds.esms(cluster)[0]["nom"] = f"ESMS {MARKUP[1]}"
    result = bounds.judge(cluster)
    console = Console(file=io.StringIO(), width=400, color_system=None)
    show_funding(console, result.to_dict())
    show_ranking(console, rank([result], 1_000_000), 1_000_000, f"région {MARKUP[0]}", f"règle {MARKUP[1]}")
    text = console.file.getvalue()
    for hostile in (f"Grappe {MARKUP[0]}", MARKUP[1], MARKUP[2], f"OG {MARKUP[0]}", f"ESMS {MARKUP[1]}", "OG fin\\"):
        assert hostile in text, hostile
    assert f"région {MARKUP[0]}" in text and f"règle {MARKUP[1]}." in text
