"""Human-readable output of ``financement`` and ``usage`` (French, rich), from the same dicts as ``--format json``."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from .eligibility import PART_LABELS, euros

STATUS_STYLE = {
    "respectee": ("✔ respectée", "green"),
    "non_respectee": ("✘ non respectée", "bold red"),
    "refus_partiel": ("◐ refus partiel", "yellow"),
    "a_verifier": ("? à vérifier", "cyan"),
    "non_applicable": ("– non applicable", "dim"),
    "remplie": ("✔ remplie", "green"),
    "non_remplie": ("✘ non remplie", "bold red"),
    "non_evaluee": ("· non évaluée", "dim"),
    "liberable": ("✔ libérable", "green"),
    "partiellement_liberable": ("◐ partiellement libérable", "yellow"),
    "bloquee": ("✘ bloquée", "bold red"),
    "en_attente": ("… en attente", "cyan"),
    "sans_objet": ("– sans objet", "dim"),
}


def _status(code: str) -> str:
    label, style = STATUS_STYLE.get(code, (code, ""))
    return f"[{style}]{label}[/]" if style else label


def _share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "–"


def show_funding(console: Console, result: dict[str, Any]) -> None:
    grappe, campaign = result["grappe"], result["campagne"]
    solution = grappe["solution"]
    console.rule(f"[bold]{grappe['nom']}")
    console.print(
        f"Campagne [bold]{campaign['id']}[/] ({campaign['titre']}, version {campaign['version']}) — "
        f"projet {PART_LABELS[grappe['type_projet']]}, territoire {grappe['territoire']}, "
        f"solution {solution['nom']} {solution['version']} ({solution['editeur']})."
    )
    verdict = "[bold green]ÉLIGIBLE[/]" if result["eligible"] else "[bold red]NON ÉLIGIBLE[/]"
    console.print(
        f"Verdict : {verdict} — montant total : [bold]{euros(result['montant_total'])}[/]"
        + ("" if result["eligible"] else f" (montant calculé si éligible : {euros(result['montant_calcule'])})")
    )

    rules = Table(title="Règles", show_lines=False)
    for column in ("Règle", "Statut", "Constat", "Source"):
        rules.add_column(column, overflow="fold")
    order = {"non_respectee": 0, "refus_partiel": 1, "a_verifier": 2, "respectee": 3, "non_applicable": 4}
    for reason in sorted(result["raisons"], key=lambda r: order.get(r["statut"], 5)):
        rules.add_row(reason["regle"], _status(reason["statut"]), reason["message"], reason["source"])
    console.print(rules)

    detail = Table(title="Détail par organisme gestionnaire et par ESMS")
    for column in ("Organisme / ESMS", "FINESS", "Région", "Parts", "Montant", "Usage"):
        detail.add_column(column, overflow="fold")
    for og in result["detail"]["organismes"]:
        detail.add_row(
            f"[bold]{og['nom']}[/]{' (petit OG)' if og['petit'] else ''}",
            "",
            "",
            "",
            f"[bold]{euros(og['montant'])}[/]",
            "",
        )
        for esms in og["esms"]:
            parts = "\n".join(
                f"{PART_LABELS[p['part']]} : "
                + (euros(p["montant"]) if p["accordee"] else f"[red]refusée[/] ({p['motif']})")
                for p in esms["parts"]
            )
            usage = _status(esms["usage"]["statut"]) if esms["usage"] else "–"
            detail.add_row(
                f"  {esms['nom']}", esms["finess"], esms["region"] or "?", parts, euros(esms["montant"]), usage
            )
    for part in result["detail"]["accompagnement"]:
        detail.add_row(
            f"[bold]Accompagnement[/] : {PART_LABELS.get(part['part'], part['part'])}",
            "",
            "",
            "accordé" if part["accordee"] else f"[red]refusé[/] ({part['motif']})",
            euros(part["montant"]),
            "",
        )
    console.print(detail)

    if len(result["detail"]["regions"]) > 1:
        console.print(
            "Répartition entre régions (au nombre d'ESMS) : "
            + " ; ".join(f"{r['region']} {r['esms']} ESMS, {euros(r['montant'])}" for r in result["detail"]["regions"])
        )
    if result["detail"]["ars_instructrice"]:
        console.print(f"ARS instructrice : {result['detail']['ars_instructrice']}")

    tranches = Table(title="Tranches de paiement")
    for column in ("Tranche", "Part", "Montant", "Statut", "Libérable", "Conditions"):
        tranches.add_column(column, overflow="fold")
    for tranche in result["tranches"]:
        conditions = "\n".join(f"{_status(c['statut'])} {c['id']} : {c['message']}" for c in tranche["conditions"])
        status = _status(tranche["statut"])
        if tranche["sous_reserve"] and tranche["montant_liberable"]:
            status += "\n[cyan]sous réserve :[/] " + ", ".join(tranche["sous_reserve"])
        tranches.add_row(
            tranche["libelle"],
            f"{tranche['part']} %",
            euros(tranche["montant"]),
            status,
            euros(tranche["montant_liberable"]),
            conditions,
        )
    console.print(tranches)


def show_ranking(console: Console, rows: list[dict[str, Any]], envelope: int | None, region: str) -> None:
    title = "Classement des grappes" + (
        f" — enveloppe {euros(envelope)}" if envelope is not None else " (sans enveloppe)"
    )
    if region:
        title += f", {region}"
    table = Table(title=title)
    for column in ("Rang", "Grappe", "Déjà financée", "Priorité ARS", "Montant", "Cumul", "Enveloppe"):
        table.add_column(column)
    for row in rows:
        place = str(row["rang"]) if row["rang"] else "non éligible"
        fits = (
            "[green]dans l'enveloppe[/]"
            if row["dans_enveloppe"]
            else ("[red]hors enveloppe[/]" if row["rang"] else "–")
        )
        table.add_row(
            place,
            row["grappe"],
            "oui" if row["deja_finance"] else "non",
            str(row["priorite"] or "–"),
            euros(row["montant"]),
            euros(row["cumul"]),
            fits,
        )
    console.print(table)
    console.print(
        "Priorité aux grappes jamais financées (seed 000), puis rang donné par l'ARS, puis ordre des fichiers."
    )


def show_usage(console: Console, result: dict[str, Any]) -> None:
    targets = result["cibles"]
    if targets["exemple"]:
        console.print(
            "[bold yellow on black] ATTENTION : cibles d'EXEMPLE — seuils fictifs, pas des seuils officiels. [/]"
        )
    console.print(
        f"Cibles : {targets['titre']} ({targets['fichier']})"
        + (f", période du {targets['periode']['debut']} au {targets['periode']['fin']}" if targets["periode"] else "")
    )
    console.print(
        f"{result['lignes_lues']} ligne(s) lue(s) dans {len(result['exports'])} export(s)"
        + (
            f", dont {len(result['lignes_hors_periode'])} hors de la période évaluée (listées en JSON)"
            if result["lignes_hors_periode"]
            else ""
        )
        + "."
    )
    table = Table(title="Dernière tranche, ESMS par ESMS")
    for column in (
        "ESMS",
        "INS qualifiée",
        "Dossiers actifs",
        "DMP (par type)",
        "MSS env./reçus",
        "PSC",
        "Dernière tranche",
    ):
        table.add_column(column, overflow="fold")
    for esms in result["esms"]:
        ind = esms["indicateurs"]
        dmp = ", ".join(f"{k} {n}" for k, n in ind["documents_dmp_par_type"].items()) or "0"
        verdict = (
            "[green]✔ libérable[/]"
            if esms["tranche_finale_liberable"]
            else f"[red]✘ non libérable[/] : {esms['motif']}"
        )
        table.add_row(
            f"{esms['nom'] or ''} ({esms['finess']})".strip(),
            _share(ind["part_ins_qualifiee"]),
            _share(ind["part_dossiers_actifs"]),
            dmp,
            f"{ind['mss_envoyes']} / {ind['mss_recus']}",
            str(ind["connexions_psc"]),
            verdict,
        )
    console.print(table)
    cluster = result["grappe"]
    ind = cluster["indicateurs"]
    console.print(
        f"Grappe : {ind['personnes_accompagnees']} personnes accompagnées, "
        f"INS qualifiée {_share(ind['part_ins_qualifiee'])}, "
        f"{ind['documents_dmp']} documents DMP, {ind['mss_envoyes']} messages MSSanté envoyés et "
        f"{ind['mss_recus']} reçus, {ind['connexions_psc']} connexions PSC."
    )
    colour = "green" if cluster["esms_liberables"] == cluster["esms"] else "red"
    console.print(
        f"Dernière tranche libérable pour [bold {colour}]{cluster['esms_liberables']} ESMS sur {cluster['esms']}[/]."
    )
