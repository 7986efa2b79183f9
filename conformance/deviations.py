"""Deviation codes: the stable names of the ways a request recorded by a simulated service departs
from the national service's contract, each with the requirement it breaks and its French label.

One table for every service, so that a code leads to its requirement in one hop. The checks over
recorded exchanges (``ins/insi_request.py``, ``xds/dmp_requests.py``, ``psc/exchanges.py``) name their
failures with these codes; the INSi mock's README lists the INSi rows (``tests/conformance/test_deviations.py``
keeps both in step).
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
    # Pro Santé Connect (psc/exchanges.py)
    "PSC-CLIENT-INCONNU": ("PSC-01", "Demande d'autorisation pour un client_id non enregistré"),
    "PSC-RESPONSE-TYPE": ("PSC-01", "Demande d'autorisation sans response_type=code"),
    "PSC-SCOPE": ("PSC-01", "Demande d'autorisation sans la portée « openid scope_all »"),
    "PSC-ACR-VALUES": ("PSC-01", "Demande d'autorisation sans acr_values=eidas1"),
    "PSC-STATE-ABSENT": ("PSC-02", "Demande d'autorisation sans « state »"),
    "PSC-NONCE-ABSENT": ("PSC-04", "Demande d'autorisation sans « nonce »"),
    "PSC-PKCE": ("PSC-05", "Pas de PKCE S256, ou code_verifier ne correspondant pas au code_challenge"),
    "PSC-REDIRECT-ABSENT": ("PSC-06", "redirect_uri absent ou non absolu"),
    "PSC-REDIRECT-NON-ENREGISTRE": ("PSC-06", "redirect_uri non enregistré pour ce client"),
    "PSC-REDIRECT-DIFFERENT": ("PSC-06", "redirect_uri du point de jeton différent de celui de la demande"),
    "PSC-METHODE-HTTP": ("PSC-07", "Méthode HTTP autre que POST au point de jeton"),
    "PSC-AUTH-CLIENT": (
        "PSC-07",
        "Client non authentifié par une méthode admise, avec ses propres identifiants (client_secret_basic, mTLS)",
    ),
    "PSC-CODE-INCONNU": ("PSC-08", "Code d'autorisation inconnu ou d'un autre client"),
    "PSC-CODE-REJOUE": ("PSC-08", "Code d'autorisation présenté une seconde fois"),
    "PSC-JETON-MALFORME": ("PSC-19", "Jeton d'accès illisible présenté à userinfo"),
    "PSC-DECONNEXION-SANS-HINT": ("PSC-22", "Déconnexion sans id_token_hint"),
    "PSC-DECONNEXION-HINT-ILLISIBLE": ("PSC-22", "Déconnexion avec un id_token_hint illisible"),
    "PSC-POST-LOGOUT-NON-ENREGISTRE": ("PSC-22", "post_logout_redirect_uri non enregistré pour ce client"),
    "PSC-REFRESH-INCONNU": ("PSC-23", "Jeton de rafraîchissement inconnu ou révoqué"),
    "PSC-JETON-INACTIF": ("PSC-23", "Jeton d'accès révoqué ou inconnu présenté à userinfo"),
    "PSC-JETON-EXPIRE": ("PSC-23", "Jeton d'accès présenté de nouveau après la réponse « expiré » de PSC"),
    "PSC-REFRESH-MORT-REPRESENTE": (
        "PSC-27",
        "Jeton de rafraîchissement présenté de nouveau après le refus de PSC (expiré, invalide ou révoqué)",
    ),
    # MSSanté vague 2, API LPS (live/mss_auth.py, sur les authentifications enregistrées par l'opérateur simulé)
    "MSS-XOAUTH2-MECANISME": ("MSS-24", "BAL personnelle ou organisationnelle ouverte sans SASL XOAUTH2"),
    "MSS-XOAUTH2-JETON": ("MSS-24", "Jeton d'accès PSC non valide (illisible, expiré, révoqué ou d'un autre client)"),
    "MSS-XOAUTH2-AUTRE-PROFESSIONNEL": ("MSS-24", "Jeton d'accès PSC d'un autre professionnel que celui connecté"),
    "MSS-APP-MECANISME": ("MSS-25", "BAL applicative ouverte sans le mécanisme PLAIN"),
    "MSS-APP-SANS-CERTIFICAT": ("MSS-25", "BAL applicative ouverte sans certificat client dans la session TLS"),
    "MSS-SESSION-APRES-PSC": ("MSS-26", "Session IMAP ou SMTP gardée après la fin du jeton de rafraîchissement PSC"),
    "MSS-JETON-MORT-REUTILISE": ("MSS-26", "Authentification avec un jeton PSC mort après la fin de la session PSC"),
    "MSS-TLS-VERSION": ("MSS-27", "Connexion à l'API LPS ni en TLS 1.2 ni en TLS 1.3"),
    "MSS-TLS-SUITE-HORS-LISTE": ("MSS-27", "Suite TLS 1.2 hors de la liste de l'API LPS (SC.MSS/CONF.03)"),
    "MSS-TLS-SUITE-ACCEPTEE": ("MSS-27", "Connexion acceptée avec un opérateur qui n'offrait qu'une suite hors liste"),
}


def deviation(code: str, where: Location, detail: str = "") -> Finding:
    """The failure for ``code``: « CODE : libellé : détail. », against its requirement, the code as evidence."""
    requirement, label = DEVIATIONS[code]
    text = f"{label} : {detail.rstrip('.')}." if detail else f"{label}."
    return failed(requirement, f"{code} : {text}", where, code)
