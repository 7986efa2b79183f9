"""The deviation codes of the INSi mock: stable code -> (requirement id, French label).

The table in README.md lists the same codes (a test keeps both in step); later steps turn
each deviation into a finding against the requirement given here.
"""

from __future__ import annotations

from dui_conformance.mocks.common import Exchange

DEVIATIONS: dict[str, tuple[str, str]] = {
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
}


def flag(exchange: Exchange, code: str, detail: str = "") -> None:
    """Record deviation ``code`` once per exchange, with an optional detail appended."""
    requirement, label = DEVIATIONS[code]
    if code not in exchange.codes:
        exchange.flag(code, f"{label} : {detail.rstrip('.')}." if detail else f"{label}.", requirement)
