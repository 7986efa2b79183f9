"""Switchable defects of the reference DUI: each one breaks a known INS, DMP or PSC requirement.

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
    "psc-signature-non-verifiee": "Ne vérifie pas la signature des jetons de Pro Santé Connect : accepte un jeton à "
    "la signature altérée, non signé (alg none) ou signé par une clé inconnue.",
    "psc-nonce-ignore": "Envoie un nonce mais ne le compare pas à celui du jeton d'identité.",
    "psc-acr-non-verifie": "Accepte un jeton d'identité sans niveau d'authentification eidas1 (acr absent).",
    "psc-state-ignore": "Ne compare pas le « state » du retour de Pro Santé Connect à celui de sa demande.",
    "psc-session-apres-deconnexion": "Garde la session du professionnel après la déconnexion Pro Santé Connect.",
    "psc-vihf-identite-fixe": "Signe chaque soumission au DMP avec une même identité fixe au lieu du professionnel "
    "connecté par Pro Santé Connect.",
    "tls-sans-verification": "Ne vérifie pas le certificat des serveurs : accepte un service dont le certificat "
    "ne remonte pas à la racine configurée.",
    "tls-sans-certificat": "Ne présente pas son certificat client (pas d'authentification mutuelle TLS).",
    "mss-sans-demande-accuse": "Envoie ses messages MSSanté sans demander d'accusé de traitement "
    "(pas de Disposition-Notification-To).",
    "mss-patient-non-qualifie": "Écrit à la messagerie Mon espace santé d'un résident dont l'identité n'est pas "
    "qualifiée.",
    "mss-sans-accuse-erreur": "Ignore un message reçu dont l'archive IHE_XDM.ZIP est illisible, sans accusé d'erreur.",
    "mss-erreur-ignoree": "Sur un refus de l'opérateur MSSanté (5xx), annonce l'envoi comme réussi et abandonne "
    "le message.",
}


def check_defects(names: frozenset[str] | set[str]) -> frozenset[str]:
    """The defects as a frozenset; ValueError (French) on an unknown name."""
    unknown = sorted(set(names) - set(DEFECTS))
    if unknown:
        raise ValueError(f"Défaut inconnu : {', '.join(unknown)} (connus : {', '.join(DEFECTS)}).")
    return frozenset(names)
