"""Switchable defects of the reference DUI: each one breaks a known INS or DMP requirement.

The harness's own tests run every scenario against the correct DUI (all checks pass) and
against each defect (exactly the targeted checks fail); the CLI ``demo --defaut`` shows them.
"""

from __future__ import annotations

DEFECTS: dict[str, str] = {
    "ins-non-qualifiee": "Transmet le matricule INS d'une identité seulement récupérée (RECUP), sans pièce "
                         "d'identité contrôlée.",
    "traits-alteres": "Enregistre des traits modifiés au lieu de ceux de l'INSi : nom de naissance réécrit en "
                      "minuscules avec une capitale initiale, prénoms de naissance réduits au premier.",
    "ignore-cr02": "Ne lit pas le code retour de l'INSi : sur « plusieurs identités trouvées » (CR 02), il reprend "
                   "l'INS de la dernière interrogation réussie comme si la recherche avait abouti.",
    "sans-insi": "N'interroge jamais l'INSi : à l'admission par carte Vitale, il enregistre le matricule lu sur la "
                 "carte comme INS qualifié.",
    "rniv-cr01-prov": "Après une réponse CR 01 (aucune identité trouvée), laisse l'identité provisoire (PROV) alors "
                      "qu'une pièce d'identité à haut niveau de confiance a été contrôlée (VALI attendu).",
    "fiabilite-malformee": "Exporte l'extension FR Core identity-reliability avec un identityStatus en valueCode au "
                           "lieu d'un valueCoding (statut illisible pour un destinataire FR Core).",
    "traits-saisis": "Enregistre les traits tels qu'ils ont été saisis à l'accueil (minuscules, accents) au lieu de "
                     "ceux que l'INSi a renvoyés.",
    "dmp-identite-non-qualifiee": "Alimente le DMP pour une identité non qualifiée (INS seulement récupéré, "
                                  "statut RECUP).",
    "dmp-metadonnees-incoherentes": "Déclare dans la DocumentEntry ITI-41 un typeCode différent du code du document "
                                    "CDA transmis.",
    "dmp-sans-rplc": "Envoie le remplacement d'un document comme un nouveau document : ni relatedDocument RPLC dans "
                     "le CDA, ni association RPLC dans la soumission.",
    "dmp-empreinte-remplacement": "Déclare, pour le document qui en remplace un autre (seconde soumission ITI-41), "
                                  "une empreinte SHA-1 qui ne correspond pas aux octets envoyés.",
    "dmp-erreur-ignoree": "Sur une erreur du DMP, annonce l'envoi comme réussi et abandonne le document au lieu de "
                          "le garder pour un nouvel envoi.",
    "dmp-integration-mauvais-dossier": "Range les documents récupérés du DMP (ITI-18 puis ITI-43) dans le dossier "
                                       "d'un autre résident.",
}


def check_defects(names: frozenset[str] | set[str]) -> frozenset[str]:
    """The defects as a frozenset; ValueError (French) on an unknown name."""
    unknown = sorted(set(names) - set(DEFECTS))
    if unknown:
        raise ValueError(f"Défaut inconnu : {', '.join(unknown)} (connus : {', '.join(DEFECTS)}).")
    return frozenset(names)
