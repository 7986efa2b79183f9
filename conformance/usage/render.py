"""Human-readable output of ``usage`` (French, rich), from the same dict as ``--format json``.

Rich reads brackets as markup: every text that comes from the inputs (ESMS names, FINESS, document types, file names,
reasons, dates, counts) is escaped, so that « [bold]x[/bold] » or « dui-conformance[distribue] » prints as written."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..funding.french import date_fr, pct
from .indicators import DECLARED, EVIDENCE, LABELS, MET, NOT_FUNDED, PARTIAL, UNDECIDABLE

DECISION_STYLE = {MET: "green", PARTIAL: "yellow", UNDECIDABLE: "yellow", NOT_FUNDED: "dim"}
ORIGINS = {EVIDENCE: "preuves", DECLARED: "déclaratif"}


def _share(value: float | None) -> str:
    return "–" if value is None else escape(pct(value))


def _count(value: Any) -> str:
    return "–" if value is None else escape(str(value))


def _date(value: str) -> str:
    return escape(date_fr(value))


def show_usage(console: Console, result: dict[str, Any]) -> None:
    targets = result["cibles"]
    if targets["exemple"]:
        console.print(
            "[bold yellow on black] ATTENTION : cibles d'EXEMPLE — seuils fictifs, pas des seuils officiels : "
            "elles ne décident d'aucune tranche. [/]"
        )
    convention = targets["convention"]
    console.print(
        f"Cibles : {escape(targets['titre'])} ({escape(targets['fichier'])})"
        + (
            f", convention {escape(convention['reference'])} du {_date(convention['date'])}"
            if convention
            else ", aucune convention citée"
        )
        + (
            f", période du {_date(targets['periode']['debut'])} au {_date(targets['periode']['fin'])}"
            if targets["periode"]
            else ""
        )
        + (" ; libération au prorata prévue." if targets["prorata"] else " ; pas de libération au prorata.")
    )
    _show_sources(console, result)
    table = Table(title="Critères d'usage de la dernière tranche, ESMS par ESMS")
    for column in ("ESMS", "INS qualifiée", "Dossiers actifs", "DMP (par type)", "MSS env./reçus", "PSC", "Décision"):
        table.add_column(column, overflow="fold")
    for esms in result["esms"]:
        ind = esms["indicateurs"]
        by_type = ind["documents_dmp_par_type"]
        dmp = "–" if by_type is None else ", ".join(f"{k} {n}" for k, n in by_type.items()) or "0"
        style = DECISION_STYLE.get(esms["decision"], "red")
        table.add_row(
            escape(f"{esms['nom'] or ''} ({esms['finess']})".strip()),
            _share(ind["part_ins_qualifiee"]),
            _share(ind["part_dossiers_actifs"]),
            escape(dmp),
            f"{_count(ind['mss_envoyes'])} / {_count(ind['mss_recus'])}",
            _count(ind["connexions_psc"]),
            f"[{style}]{escape(esms['decision_libelle'])}[/] : {escape(esms['motif'])}",
        )
    console.print(table)
    cluster = result["grappe"]
    ind = cluster["indicateurs"]
    origins: dict[str, list[str]] = {}
    for key, origin in cluster["origine"].items():
        if origin and key in LABELS:
            origins.setdefault(ORIGINS[origin], []).append(LABELS[key])
    console.print(
        f"Grappe : {_count(ind['personnes_accompagnees'])} personnes accompagnées, "
        f"INS qualifiée {_share(ind['part_ins_qualifiee'])}, {_count(ind['documents_dmp'])} documents DMP, "
        f"{_count(ind['mss_envoyes'])} messages MSSanté envoyés et {_count(ind['mss_recus'])} reçus, "
        f"{_count(ind['connexions_psc'])} connexions PSC."
    )
    if origins:
        console.print(
            "Origine des valeurs : " + escape(" ; ".join(f"{o} : {', '.join(k)}" for o, k in origins.items())) + "."
        )
    style = DECISION_STYLE.get(cluster["decision"], "red")
    console.print(
        f"Critère d'usage de la dernière tranche : [bold {style}]{escape(cluster['decision_libelle'])}[/] "
        f"— {escape(cluster['motif'])}."
    )
    _show_definitions(console, result["definitions"])


def _show_sources(console: Console, result: dict[str, Any]) -> None:
    if result["lignes_lues"]:
        outside = len(result["lignes_hors_periode"])
        console.print(
            f"Déclaratif : {_count(result['lignes_lues'])} ligne(s) d'export d'usage lue(s)"
            + (f", dont {outside} hors de la période évaluée (listées en JSON)" if outside else "")
            + "."
        )
    evidence = result["preuves"]
    if evidence is None:
        return
    read = ", ".join(f"{n} {what}(s)" for what, n in evidence["lus"].items()) or "aucune pièce"
    console.print(f"Preuves : {escape(read)} lu(s).")
    if evidence["ecartes_par_motif"]:
        console.print("Non comptés (chacun listé avec sa source en JSON) :")
        for reason, count in evidence["ecartes_par_motif"].items():
            console.print(f"  • {_count(count)} — {escape(reason)}")


def _show_definitions(console: Console, definitions: dict[str, Any]) -> None:
    console.print("Définitions :")
    for item in definitions["indicateurs"].values():
        how = item["preuves"] or "non calculable à partir des preuves."
        console.print(
            f"  • {escape(item['libelle'])} ({escape(item['nature'])}) — preuves : {escape(how)} "
            f"Déclaratif : {escape(item['declaratif'])}"
        )
        for rule in item["regles"]:
            quote = f" : « {escape(rule['citation'])} »" if rule["citation"] else ""
            console.print(f"      {escape(rule['regle'])} ({escape(rule['source'])}{quote})")
    for rule in definitions["decision"]:
        quote = f" : « {escape(rule['citation'])} »" if rule["citation"] else ""
        console.print(f"  • {escape(rule['regle'])} ({escape(rule['source'])}{quote})")
