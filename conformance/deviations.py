"""Deviation codes: the stable names of the ways a request recorded by a simulated service departs
from the national service's contract, each with the requirement it breaks and its French label.

One table for every service, so that a code leads to its requirement in one hop. The checks over
recorded exchanges (``ins/insi_request.py``, ``xds/dmp_requests.py``) name their failures with these
codes; the INSi mock's README lists the INSi rows (``tests/test_deviations.py`` keeps both in step).
"""

from __future__ import annotations

from .model import Finding, Location, failed

DEVIATIONS: dict[str, tuple[str, str]] = {
    # INSi (ins/insi_request.py)
    "INSI-CHEMIN-INCONNU": ("INS-21", "Requête adressée à un autre chemin que le point d'accès INSi"),
    "INSI-METHODE-HTTP": ("INS-21", "Méthode HTTP autre que POST"),
    "INSI-SOAP11": ("INS-21", "Requête SOAP 1.1 (text/xml ou enveloppe 1.1) au lieu de SOAP 1.2"),
    "INSI-CONTENT-TYPE": ("INS-21", "Content-Type ni application/soap+xml (SOAP 1.2) ni text/xml"),
    "INSI-XML-REFUSE": ("INS-21", "Corps XML refusé (mal formé, DOCTYPE, entités ou trop gros)"),
    "INSI-ENVELOPPE": ("INS-21", "Le corps n'est pas une enveloppe SOAP"),
    "INSI-OPERATION-INCONNUE": (
        "INS-21",
        "Le Body ne porte ni RECSANSVITALE (http://www.cnamts.fr/INSiRecSans) ni RECVITALE (http://www.cnamts.fr/INSiRecVit)",
    ),
    "INSI-ACTION-HTTP-ABSENTE": (
        "INS-21",
        "Action SOAP absente du transport (paramètre action du Content-Type ou SOAPAction)",
    ),
    "INSI-ACTION-HTTP-INCORRECTE": ("INS-21", "Action SOAP du transport différente de celle de l'opération"),
    "INSI-WSA-ACTION-ABSENTE": ("INS-21", "En-tête WS-Addressing Action (http://www.w3.org/2005/08/addressing) absent"),
    "INSI-WSA-ACTION-INCORRECTE": ("INS-21", "En-tête WS-Addressing Action différent de celui de l'opération"),
    "INSI-WSA-MESSAGEID-ABSENT": (
        "INS-21",
        "En-tête WS-Addressing MessageID (http://www.w3.org/2005/08/addressing) absent",
    ),
    "INSI-ENTETE-LPS-ABSENT": ("INS-21", "En-tête ContexteLPS (espace de noms urn:siram:lps:ctxlps) absent"),
    "INSI-ENTETE-LPS-INCOMPLET": (
        "INS-21",
        "En-tête ContexteLPS (Nature=CTXLPS, Version=01_00, Id, Temps, LPS/IDAM, LPS/Nom) incomplet",
    ),
    "INSI-ENTETE-BAM-ABSENT": ("INS-21", "En-tête ContexteBAM (espace de noms urn:siram:bam:ctxbam) absent"),
    "INSI-ENTETE-BAM-INCOMPLET": ("INS-21", "En-tête ContexteBAM (Version=01_02, Id, Temps, COUVERTURE) incomplet"),
    "INSI-TRAIT-ABSENT": ("INS-21", "Trait obligatoire absent de la recherche (NomNaissance, Sexe, DateNaissance)"),
    # Upper case without diacritics in the request: client practice, not a sourced INSi rule (facts §7.6), hence
    # its own non-blocking requirement.
    "INSI-TRAITS-MINUSCULES": ("INS-29", "Trait envoyé avec des minuscules"),
    "INSI-TRAITS-ACCENTS": ("INS-29", "Trait envoyé avec des lettres accentuées ou hors A-Z"),
    "INSI-TRAITS-CARACTERES": (
        "INS-21",
        "Trait avec des caractères hors lettres, espace, tiret, apostrophe, ou un séparateur en tête, en fin ou doublé",
    ),
    "INSI-SEXE-INVALIDE": ("INS-21", "Sexe autre que M ou F"),
    "INSI-DATE-INVALIDE": ("INS-21", "Date de naissance hors du format AAAA-MM-JJ (date lunaire)"),
    "INSI-LIEU-INVALIDE": ("INS-21", "Lieu de naissance autre qu'un code COG à 5 caractères"),
    "INSI-VITALE-MATRICULE-ABSENT": (
        "INS-28",
        "Recherche carte Vitale sans MatriculeIndividu complet (NumIdentifiant + Cle)",
    ),
    # DMP (xds/dmp_requests.py): a request the simulated DMP cannot route breaks its transport binding
    "DMP-CHEMIN-INCONNU": ("DMP-40", "Chemin inconnu du DMP simulé"),
    "DMP-METHODE-HTTP": ("DMP-40", "Méthode HTTP autre que POST"),
}


def deviation(code: str, where: Location, detail: str = "") -> Finding:
    """The failure for ``code``: « CODE : libellé : détail. », against its requirement, the code as evidence."""
    requirement, label = DEVIATIONS[code]
    text = f"{label} : {detail.rstrip('.')}." if detail else f"{label}."
    return failed(requirement, f"{code} : {text}", where, code)
