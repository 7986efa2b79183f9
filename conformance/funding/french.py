"""What an ARS reviewer reads: amounts, shares, dates and labels in French, never an internal code.

Every text of ``financement`` (messages, JSON labels meant for people, tables, the readiness report's
funding block) goes through these helpers: ``50 %`` with a narrow no-break space, ``1er mars 2021``
rather than ``2021-03-01``, « outre-mer » rather than ``outre_mer``.
"""

from __future__ import annotations

import datetime

NNBSP = "\u202f"  # espace fine insécable : milliers, et avant « % »

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

TERRITORIES = {"metropole": "métropole", "outre_mer": "outre-mer", "corse": "Corse"}
CALLS = {"regional": "appel à projets régional (ARS)", "national": "appel à projets national (CNSA et DNS)"}
FIELDS = {"PA": "personnes âgées (PA)", "PH": "personnes handicapées (PH)", "DOMICILE": "domicile"}
SERVICES = {
    "DMP": "DMP",
    "MSS": "MSSanté",
    "EPRESCRIPTION": "e-prescription",
    "PSC": "Pro Santé Connect",
    "INS": "INS",
}
PARTS = {
    "acquisition": "acquisition",
    "mise_en_conformite": "mise en conformité",
    "sans_dui": "ESMS sans DUI (mise en conformité)",
    "usage_sons": "financement lié aux usages (bon SONS)",
    "equipement": "équipement",
    "amoa": "AMOA",
    "pilotage": "pilotage",
}
LABELS = {"RESAH": "RESAH", "SEGUR": "Ségur"}

# Rule identifiers (data keys) and what a reader sees.
RULES = {
    "finess": "Numéros FINESS",
    "esms_eligibles": "ESMS éligibles",
    "editeur_deja_contractualise": "Contrat déjà signé avec un éditeur",
    "bon_commande_sons": "Bon de commande SONS",
    "territoire": "Territoire",
    "calendrier": "Calendrier de la campagne",
    "taille_grappe": "Taille de la grappe",
    "appel": "Appel à projets compétent",
    "porteur": "Porteur du projet",
    "solution_unique": "Une seule solution DUI",
    "nature_projet": "Nature du projet",
    "champ": "Champ dominant",
    "services_socles": "Services socles",
    "referencement": "Référencement de la solution",
    "derogation": "Dérogation (solution non référencée)",
    "multiregional": "Régions et ARS instructrice",
    "petit_og": "Organismes gestionnaires de petite taille",
    "equipement": "Équipement",
    "plafond_esms": "Plafond d'ESMS financés",
    "accompagnement": "AMOA et pilotage",
    "echeancier": "Échéancier des versements",
    "exemption_usage": "Exemption de cibles d'usage",
    "montants": "Montants",
    "priorite": "Priorité et enveloppe",
}
STATUSES = {
    "respectee": "respectée",
    "non_respectee": "non respectée",
    "refus_partiel": "refus partiel",
    "a_verifier": "à vérifier",
    "non_applicable": "non applicable",
    "remplie": "remplie",
    "non_remplie": "non remplie",
    "non_evaluee": "non évaluée",
    "non_decidable": "non décidable",
    "partiellement_remplie": "partiellement remplie",
    "liberable": "libérable",
    "partiellement_liberable": "partiellement libérable",
    "bloquee": "bloquée",
    "en_attente": "en attente",
    "sans_objet": "sans objet",
}
CONDITIONS = {
    "convention": "Convention ARS / porteur",
    "facture_parametrage": "Facture de fin de paramétrage",
    "facture_deploiement": "Facture de fin de déploiement",
    "conformite": "Conformité du DUI",
    "usage": "Cibles d'usage",
}


def euros(amount: int | None) -> str:
    """``1 566 149 €`` (narrow no-break space between thousands); an amount no source fixes is said so."""
    if amount is None:
        return "montant non fixé"
    return f"{amount:,}".replace(",", NNBSP) + " €"


def pct(share: float) -> str:
    """A share in French: ``50 %``, ``66,7 %`` (one decimal only when it is not a whole percent)."""
    value = round(share * 100, 1)
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
    return f"{text}{NNBSP}%"


def date_fr(iso: str) -> str:
    """``2021-03-01`` -> ``1er mars 2021``."""
    day = datetime.date.fromisoformat(iso)
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def field(code: str) -> str:
    return FIELDS.get(code, code)


def territory(code: str) -> str:
    return TERRITORIES[code]


def services(codes: list[str]) -> str:
    return ", ".join(SERVICES.get(c, c) for c in codes) or "aucun"
