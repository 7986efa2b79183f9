"""Human-readable output of ``financement`` (French, rich), from the same dicts as ``--format json``.

Rich reads brackets as markup: every text that comes from the inputs (names, FINESS, labels, reasons, rule texts) is
escaped, so that « [bold]x[/bold] » or « dui-conformance[distribue] » prints as written."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import french as fr
from .french import euros

STATUS_STYLE = {
    "respectee": ("✔", "green"),
    "non_respectee": ("✘", "bold red"),
    "refus_partiel": ("◐", "yellow"),
    "a_verifier": ("?", "cyan"),
    "non_applicable": ("–", "dim"),
    "remplie": ("✔", "green"),
    "non_remplie": ("✘", "bold red"),
    "partiellement_remplie": ("◐", "yellow"),
    "non_evaluee": ("·", "dim"),
    "non_decidable": ("·", "yellow"),
    "liberable": ("✔", "green"),
    "partiellement_liberable": ("◐", "yellow"),
    "bloquee": ("✘", "bold red"),
    "en_attente": ("…", "cyan"),
    "sans_objet": ("–", "dim"),
}
PARAMETER_STATUS = {
    "a_renseigner": "[bold cyan]à renseigner par l'ARS[/]",
    "non_verifie": "[yellow]valeur non vérifiée[/]",
    "renseigne": "[green]renseigné par l'ARS[/]",
}


def _status(code: str) -> str:
    symbol, style = STATUS_STYLE[code]
    return f"[{style}]{symbol} {fr.STATUSES[code]}[/]"


def _parameter_value(parameter: dict[str, Any]) -> str:
    value = parameter["valeur"]
    if value is None:
        return "–"
    return escape({"part": fr.pct, "euros": euros}.get(parameter["type"], lambda v: str(int(v)))(value))


def _computed(result: dict[str, Any]) -> str:
    """The project's amount, a range when the ARS's choice decides it, or why it is undetermined."""
    if result["fourchette"]:
        low, high = euros(result["fourchette"]["min"]), euros(result["fourchette"]["max"])
        return escape(f"de {low} à {high} (choix de l'ARS)")
    if result["montant_calcule"] is None:
        return "non déterminé (paramètres à renseigner)"
    return escape(euros(result["montant_calcule"]))


def show_funding(console: Console, result: dict[str, Any]) -> None:
    grappe, campaign = result["grappe"], result["campagne"]
    solution = grappe["solution"]
    console.rule(f"[bold]{escape(grappe['nom'])}")
    other = (
        " — le fichier de grappe déclare une autre campagne ; la grappe est évaluée selon "
        f"« {escape(campaign['titre'])} »"
        if grappe["campagne_declaree"] != campaign["id"]
        else ""
    )
    console.print(
        f"Campagne : [bold]{escape(campaign['titre'])}[/] (jeu de règles du {escape(fr.date_fr(campaign['version']))})"
        f"{other}."
    )
    period = f" ; {result['detail']['periode']}" if result["detail"]["periode"] else ""
    console.print(
        escape(
            f"Projet : {fr.PARTS[grappe['type_projet']]} ; territoire déclaré : {fr.territory(grappe['territoire'])}"
            f"{period} ; solution {solution['nom']} {solution['version']} ({solution['editeur']})."
        )
    )
    if result["eligible"]:
        console.print(f"Verdict : [bold green]ÉLIGIBLE[/] — montant total : [bold]{_computed(result)}[/]")
    else:
        console.print(
            f"Verdict : [bold red]NON ÉLIGIBLE[/] — montant total : [bold]{escape(euros(0))}[/] "
            f"(montant calculé si éligible : {_computed(result)})"
        )

    rules = Table(title="Règles", show_lines=True)
    for column in ("Règle", "Statut", "Constat", "Sources"):
        rules.add_column(column, overflow="fold")
    order = {"non_respectee": 0, "refus_partiel": 1, "a_verifier": 2, "respectee": 3, "non_applicable": 4}
    for reason in sorted(result["raisons"], key=lambda r: order[r["statut"]]):
        rules.add_row(
            escape(reason["titre"]), _status(reason["statut"]), escape(reason["message"]), escape(reason["source"])
        )
    console.print(rules)

    if result["parametres"]:
        parameters = Table(title="Paramètres qu'aucune source ne fixe")
        for column in ("Paramètre", "Valeur", "Statut", "Pourquoi un paramètre", "Origine de la valeur"):
            parameters.add_column(column, overflow="fold")
        for parameter in result["parametres"]:
            parameters.add_row(
                escape(parameter["libelle"]),
                _parameter_value(parameter),
                PARAMETER_STATUS[parameter["statut"]],
                escape(parameter["pourquoi"]),
                escape(parameter["origine"] or "–"),
            )
        console.print(parameters)

    detail = Table(title="Détail par organisme gestionnaire et par ESMS")
    for column in ("Organisme / ESMS", "FINESS", "Région", "Parts", "Montant", "Usage"):
        detail.add_column(column, overflow="fold")
    for og in result["detail"]["organismes"]:
        size = f" ({og['esms_geres']} ESMS{', petit' if og['petit'] else ''})" if og["esms_geres"] else ""
        holder = " — porteur" if og["porteur"] else ""
        detail.add_row(
            f"[bold]{escape(og['nom'])}[/]{size}{holder}", "", "", "", f"[bold]{escape(euros(og['montant']))}[/]", ""
        )
        for esms in og["esms"]:
            parts = "\n".join(
                f"{escape(p['libelle'])} : "
                + (
                    escape(euros(p["montant"])) + (" si l'ARS le retient (plafond)" if p["choix_ars"] else "")
                    if p["accordee"]
                    else f"[red]refusée[/] ({escape(p['motif'])})"
                )
                for p in esms["parts"]
            )
            usage = _status(esms["usage"]["statut"]) if esms["usage"] else "–"
            detail.add_row(
                escape(f"  {esms['nom']}"),
                escape(esms["finess"]),
                escape(esms["region"] or "?"),
                parts,
                escape(euros(esms["montant"])),
                usage,
            )
    for part in result["detail"]["accompagnement"]:
        detail.add_row(
            f"[bold]Accompagnement[/] : {escape(part['libelle'])}",
            "",
            "",
            "accordé" if part["accordee"] else f"[red]refusé[/] ({escape(part['motif'])})",
            escape(euros(part["montant"])),
            "",
        )
    console.print(detail)

    if len(result["detail"]["regions"]) > 1:
        console.print(
            "Répartition entre régions (au nombre d'ESMS) : "
            + escape(
                " ; ".join(
                    f"{r['region']} {r['esms']} ESMS, {euros(r['montant'])}" for r in result["detail"]["regions"]
                )
            )
        )
    if result["detail"]["ars_instructrice"]:
        console.print(f"ARS instructrice : {escape(result['detail']['ars_instructrice'])}")

    tranches = Table(title="Tranches de paiement", show_lines=True)
    for column in ("Tranche", "Part", "Montant", "Statut", "Libérable", "Conditions"):
        tranches.add_column(column, overflow="fold")
    for tranche in result["tranches"]:
        conditions = "\n".join(
            f"{_status(c['statut'])} {escape(c['libelle'])} : {escape(c['message'])}" for c in tranche["conditions"]
        )
        status = _status(tranche["statut"])
        if tranche["statut"] == "a_verifier":
            status += f"\n[cyan]{escape(euros(tranche['montant_sous_reserve']))} une fois vérifiés par l'ARS :[/] "
            status += escape(", ".join(fr.CONDITIONS[c].lower() for c in tranche["sous_reserve"]))
        tranches.add_row(
            escape(tranche["libelle"]),
            escape(tranche["part_libelle"]),
            escape(euros(tranche["montant"])),
            status,
            escape(euros(tranche["montant_liberable"])),
            conditions,
        )
    console.print(tranches)


def show_ranking(console: Console, rows: list[dict[str, Any]], envelope: int | None, region: str, rule: str) -> None:
    title = "Classement des grappes" + (
        f" — enveloppe {euros(envelope)}" if envelope is not None else " (sans enveloppe)"
    )
    if region:
        title += f", {region}"
    table = Table(title=escape(title))
    for column in ("Rang", "Grappe", "Déjà financée", "Priorité ARS", "Montant", "Cumul", "Enveloppe"):
        table.add_column(column)
    fits_label = {
        True: "[green]dans l'enveloppe[/]",
        False: "[red]hors enveloppe[/]",
        None: "[cyan]montant non fixé[/]",
    }
    for row in rows:
        table.add_row(
            str(row["rang"]) if row["rang"] else "non éligible",
            escape(row["grappe"]),
            "oui" if row["deja_finance"] else "non",
            escape(str(row["priorite"] or "–")),
            escape(euros(row["montant"])),
            escape(euros(row["cumul"])),
            fits_label[row["dans_enveloppe"]] if row["rang"] else "–",
        )
    console.print(table)
    console.print(
        "Priorité aux grappes jamais financées, puis rang donné par l'ARS, puis ordre des fichiers"
        + (f" — {escape(rule)}." if rule else ".")
    )
