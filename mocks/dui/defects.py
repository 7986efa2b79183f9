"""Switchable defects of the reference DUI, and the requirements each one breaks: one table.

The harness's own tests run the plan against the correct DUI (every check passes) and against each
defect (exactly the requirements of :attr:`Defect.fails` fail, and no other); the CLI ``demo --defaut``
shows them, ``demo --liste-defauts`` lists them, and ``requirements --couverture`` cites each defect as the
negative proof (``defaut:<nom>``) of the requirements it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    text: str
    """What the defective DUI does, in French (``demo --liste-defauts``, ``--help`` of the reference DUI)."""
    fails: frozenset[str]
    """The requirements the demo fails with this defect alone, and no other (``tests/e2e/test_demo.py``); the live
    plan of their service (``tests/e2e/test_live_{ins,dmp,psc}_plan.py``) fails them too."""
    also_breaks: frozenset[str] = frozenset()
    """Requirements it breaks too where the Gherkin plan does not look (a scenario judges an admission on its own
    tags only and stops at its first failing step): every live INS check run on every admission of the INSi plan
    fails them as well (``tests/e2e/test_live_ins_plan.py``)."""

    @property
    def breaks(self) -> frozenset[str]:
        """Every requirement a test proves this defect fails."""
        return self.fails | self.also_breaks

    @property
    def services(self) -> frozenset[str]:
        """The services (INS, DMP, PSC, MSS, GEN) of the requirements it fails: which live plan proves it."""
        return frozenset(requirement.split("-")[0] for requirement in self.fails)


DEFECTS: dict[str, Defect] = {
    "ins-non-qualifiee": Defect(
        "Transmet le matricule INS d'une identité seulement récupérée (RECUP), sans pièce d'identité contrôlée.",
        frozenset({"INS-25"}),
        also_breaks=frozenset({"INS-10"}),
    ),
    "traits-alteres": Defect(
        "Enregistre des traits modifiés au lieu de ceux de l'INSi : nom de naissance réécrit en "
        "minuscules avec une capitale initiale, prénoms de naissance réduits au premier.",
        frozenset({"INS-22"}),
        also_breaks=frozenset({"INS-05"}),
    ),
    "ignore-cr02": Defect(
        "Ne lit pas le code retour de l'INSi : sur « plusieurs identités trouvées » (CR 02), il reprend "
        "l'INS de la dernière interrogation réussie comme si la recherche avait abouti.",
        frozenset({"INS-23"}),
        also_breaks=frozenset({"INS-20", "INS-25"}),
    ),
    "sans-insi": Defect(
        "N'interroge jamais l'INSi : à l'admission par carte Vitale, il enregistre le matricule lu sur la "
        "carte comme INS qualifié.",
        frozenset({"INS-20", "INS-28"}),
        also_breaks=frozenset({"INS-06", "INS-08", "INS-09", "INS-25"}),
    ),
    "rniv-cr01-prov": Defect(
        "Après une réponse CR 01 (aucune identité trouvée), laisse l'identité provisoire (PROV) alors "
        "qu'une pièce d'identité à haut niveau de confiance a été contrôlée (VALI attendu).",
        frozenset({"INS-24"}),
    ),
    "fiabilite-malformee": Defect(
        "Exporte l'extension FR Core identity-reliability avec un identityStatus en valueCode au lieu "
        "d'un valueCoding (statut illisible pour un destinataire FR Core).",
        frozenset({"INS-11", "INS-14"}),
        also_breaks=frozenset({"INS-25"}),
    ),
    "traits-saisis": Defect(
        "Enregistre les traits tels qu'ils ont été saisis à l'accueil (minuscules, accents) au lieu de "
        "ceux que l'INSi a renvoyés.",
        frozenset({"INS-22"}),
        also_breaks=frozenset({"INS-05", "INS-06"}),
    ),
    "insi-action-fausse": Defect(
        "Annonce à l'INSi les actions SOAP d'une autre version du service (urn:ServiceIdentiteCertifiee:2.0.0:…).",
        frozenset({"INS-21"}),
    ),
    "ins-historique": Defect(
        "Enregistre le matricule INS historique (INSHISTO) renvoyé par l'INSi au lieu du matricule actif.",
        frozenset({"INS-26"}),
        also_breaks=frozenset({"INS-22"}),
    ),
    "faute-insi-ignoree": Defect(
        "Ne lit pas la faute SOAP de l'INSi : il reprend l'INS de la dernière interrogation réussie comme si "
        "la recherche avait abouti.",
        frozenset({"INS-27"}),
        also_breaks=frozenset({"INS-20", "INS-25"}),
    ),
    "dmp-identite-non-qualifiee": Defect(
        "Alimente le DMP pour une identité non qualifiée (INS seulement récupéré, statut RECUP).",
        frozenset({"DMP-62"}),
    ),
    "dmp-metadonnees-incoherentes": Defect(
        "Déclare dans la DocumentEntry ITI-41 un typeCode différent du code du document CDA transmis.",
        frozenset({"DMP-47"}),
    ),
    "dmp-sans-rplc": Defect(
        "Envoie le remplacement d'un document comme un nouveau document : ni relatedDocument RPLC dans le "
        "CDA, ni association RPLC dans la soumission.",
        frozenset({"DMP-61"}),
    ),
    "dmp-empreinte-remplacement": Defect(
        "Déclare, pour le document qui en remplace un autre (seconde soumission ITI-41), une empreinte "
        "SHA-1 qui ne correspond pas aux octets envoyés.",
        frozenset({"DMP-50", "DMP-61"}),
    ),
    "dmp-erreur-ignoree": Defect(
        "Sur une erreur du DMP, annonce l'envoi comme réussi et abandonne le document au lieu de le "
        "garder pour un nouvel envoi.",
        frozenset({"DMP-63"}),
    ),
    "dmp-integration-mauvais-dossier": Defect(
        "Range les documents récupérés du DMP (ITI-18 puis ITI-43) dans le dossier d'un autre résident.",
        frozenset({"DMP-64"}),
    ),
    "dmp-double-soumission": Defect(
        "Envoie deux fois la même soumission ITI-41 pour une seule demande d'alimentation.",
        frozenset({"DMP-60", "DMP-61"}),
    ),
    "dmp-recherche-sans-apostrophes": Defect(
        "Envoie l'identifiant du patient de la recherche ITI-18 ($XDSDocumentEntryPatientId) sans l'encadrer "
        "d'apostrophes.",
        frozenset({"DMP-53"}),
    ),
    "dmp-recuperation-soap11": Defect(
        "Envoie la récupération ITI-43 dans une enveloppe SOAP 1.1 au lieu de SOAP 1.2.",
        frozenset({"DMP-54"}),
    ),
    "dmp-existence-sans-motif": Defect(
        "Envoie le test d'existence du DMP (TD0.2) avec le motif CNSLT_DATA (consultation des données de gestion) "
        "au lieu de TEST_EXST.",
        frozenset({"DMP-65"}),
    ),
    "dmp-test-a-l-affichage": Defect(
        "Ne teste l'existence du DMP (TD0.2) qu'à l'affichage de la vue DMP du dossier, pas à son ouverture.",
        frozenset({"DMP-66"}),
    ),
    "dmp-opposition-ignoree": Defect(
        "Ignore l'opposition du résident enregistrée à l'ouverture du dossier : teste l'existence de son DMP et "
        "en liste les documents.",
        frozenset({"DMP-67"}),
    ),
    "dmp-vue-absent-vide": Defect(
        "Montre un résident sans DMP comme ayant un DMP ouvert et vide.",
        frozenset({"DMP-68"}),
    ),
    "dmp-vue-sans-vsm": Defect(
        "Ne montre jamais de volet de synthèse médicale (VSM), même quand le DMP en détient un.",
        frozenset({"DMP-69"}),
    ),
    "dmp-alimentation-sans-test": Defect(
        "Alimente le DMP sans avoir testé l'existence du DMP du résident (TD0.2) auparavant.",
        frozenset({"DMP-70"}),
    ),
    "dmp-retelechargement": Defect(
        "Télécharge de nouveau (ITI-43) et range une seconde fois les documents du DMP déjà intégrés.",
        frozenset({"DMP-71"}),
    ),
    "dmp-nouvelle-version-ignoree": Defect(
        "Intègre la nouvelle version d'un document remplacé dans le DMP comme un document sans lien, sans signaler "
        "que le document déjà intégré a une version plus récente.",
        frozenset({"DMP-72"}),
    ),
    "psc-sans-state": Defect(
        "Demande l'autorisation sans « state », et ne peut donc pas comparer celui du retour.",
        frozenset({"PSC-02", "PSC-03"}),
    ),
    "psc-sans-acr-values": Defect(
        "Demande l'autorisation sans acr_values=eidas1.",
        frozenset({"PSC-01"}),
    ),
    "psc-sans-nonce": Defect(
        "Demande l'autorisation sans nonce.",
        frozenset({"PSC-04"}),
    ),
    "psc-sans-pkce": Defect(
        "Demande l'autorisation sans PKCE (ni code_challenge ni code_verifier).",
        frozenset({"PSC-05"}),
    ),
    "psc-redirect-different": Defect(
        "Présente au point de jeton un redirect_uri différent de celui de la demande d'autorisation.",
        frozenset({"PSC-06"}),
    ),
    "psc-secret-dans-le-corps": Defect(
        "S'authentifie au point de jeton par client_secret_post (secret dans le corps), une méthode que Pro "
        "Santé Connect n'admet pas.",
        frozenset({"PSC-07"}),
    ),
    "psc-jeton-expire-conserve": Defect(
        "Garde la session d'un professionnel dont le jeton d'accès a expiré, sans le rafraîchir ni demander "
        "une nouvelle connexion.",
        frozenset({"PSC-23"}),
    ),
    "psc-signature-non-verifiee": Defect(
        "Ne vérifie pas la signature des jetons de Pro Santé Connect : accepte un jeton à la signature "
        "altérée, non signé (alg none) ou signé par une clé inconnue, comme une réponse userinfo à la signature "
        "altérée.",
        frozenset({"PSC-10", "PSC-11", "PSC-12", "PSC-25"}),
    ),
    "psc-nonce-ignore": Defect(
        "Envoie un nonce mais ne le compare pas à celui du jeton d'identité.",
        frozenset({"PSC-17"}),
    ),
    "psc-acr-non-verifie": Defect(
        "Accepte un jeton d'identité sans niveau d'authentification eidas1 (acr absent).",
        frozenset({"PSC-18"}),
    ),
    "psc-iss-non-verifie": Defect(
        "Accepte un jeton d'identité dont l'émetteur (iss) n'est pas Pro Santé Connect.",
        frozenset({"PSC-13"}),
    ),
    "psc-aud-non-verifie": Defect(
        "Accepte un jeton d'identité dont l'audience (aud) n'est pas son client_id.",
        frozenset({"PSC-14"}),
    ),
    "psc-exp-non-verifie": Defect(
        "Accepte un jeton d'identité expiré (exp dépassé).",
        frozenset({"PSC-15"}),
    ),
    "psc-iat-non-verifie": Defect(
        "Accepte un jeton d'identité émis dans le futur (iat).",
        frozenset({"PSC-16"}),
    ),
    "psc-userinfo-non-verifie": Defect(
        "Ne compare pas le sub de la réponse userinfo à celui du jeton d'identité.",
        frozenset({"PSC-19"}),
    ),
    "psc-userinfo-signature-non-verifiee": Defect(
        "Vérifie la signature du jeton d'identité mais pas celle de la réponse userinfo : il lit l'identité du "
        "professionnel dans un JWT à la signature altérée.",
        frozenset({"PSC-25"}),
    ),
    "psc-state-ignore": Defect(
        "Ne compare pas le « state » du retour de Pro Santé Connect à celui de sa demande.",
        frozenset({"PSC-03"}),
    ),
    "psc-state-rejouable": Defect(
        "Garde le « state » d'une connexion valable après son premier usage : le même retour de Pro Santé Connect, "
        "présenté une seconde fois, est accepté et son code de nouveau présenté au point de jeton.",
        frozenset({"PSC-03", "PSC-08"}),
    ),
    "psc-code-rejoue": Defect(
        "Présente une seconde fois le même code d'autorisation au point de jeton (nouvel essai de la requête) et "
        "poursuit avec les jetons de la première réponse.",
        frozenset({"PSC-08", "PSC-20", "PSC-21", "PSC-22", "PSC-23", "PSC-24", "PSC-26"}),
    ),
    "psc-jwks-fige": Defect(
        "Ne relit jamais le JWKS de Pro Santé Connect : il garde les clés lues la première fois et refuse un jeton "
        "signé par une clé publiée depuis (rotation des clés).",
        frozenset({"PSC-20"}),
    ),
    "psc-identite-par-sub": Defect(
        "Prend le sub du jeton d'identité (identifiant pseudonyme propre à Pro Santé Connect) pour l'identifiant "
        "national du professionnel connecté, au lieu du SubjectNameID de userinfo.",
        frozenset({"PSC-20", "PSC-21", "PSC-24", "PSC-26"}),
    ),
    "psc-session-apres-deconnexion": Defect(
        "Garde la session du professionnel après la déconnexion Pro Santé Connect.",
        frozenset({"PSC-22"}),
    ),
    "psc-vihf-identite-fixe": Defect(
        "Signe chaque soumission au DMP avec une même identité fixe au lieu du professionnel connecté par "
        "Pro Santé Connect.",
        frozenset({"PSC-24"}),
    ),
    "psc-eidas2-refuse": Defect(
        "N'accepte que le niveau eidas1 : refuse le jeton d'identité de niveau eidas2 (authMode « CARD ») que Pro "
        "Santé Connect renvoie aux connexions par carte CPS ou e-CPS.",
        frozenset({"PSC-26"}),
    ),
    "psc-session-apres-refresh-mort": Defect(
        "Garde la session du professionnel quand Pro Santé Connect refuse son jeton de rafraîchissement (expiré, "
        "invalide ou révoqué) : l'utilisateur reste connecté sans jeton valide.",
        frozenset({"PSC-27"}),
    ),
    "tls-sans-verification": Defect(
        "Ne vérifie pas le certificat des serveurs : accepte un service dont le certificat ne remonte pas "
        "à la racine configurée.",
        frozenset({"GEN-12"}),
    ),
    "tls-version-obsolete": Defect(
        "Échange avec les services en TLS 1.1, une version obsolète, au lieu de TLS 1.2 ou plus.",
        frozenset({"GEN-10"}),
    ),
    "tls-versions-obsoletes-acceptees": Defect(
        "Accepte encore TLS 1.0 et 1.1 : il négocie TLS 1.3 avec un service moderne, mais poursuit avec un "
        "serveur qui n'offre que TLS 1.1.",
        frozenset({"GEN-10"}),
    ),
    "tls-sans-certificat": Defect(
        "Ne présente pas son certificat client (pas d'authentification mutuelle TLS).",
        frozenset({"GEN-11"}),
    ),
    "mss-sans-demande-accuse": Defect(
        "Envoie ses messages MSSanté sans demander d'accusé de traitement (pas de Disposition-Notification-To).",
        frozenset({"MSS-20"}),
    ),
    "mss-patient-non-qualifie": Defect(
        "Écrit à la messagerie Mon espace santé d'un résident dont l'identité n'est pas qualifiée.",
        frozenset({"MSS-21"}),
    ),
    "mss-sans-accuse-erreur": Defect(
        "Ignore un message reçu dont l'archive IHE_XDM.ZIP est illisible, sans accusé d'erreur.",
        frozenset({"MSS-22"}),
    ),
    "mss-patient-inconnu-autre-dossier": Defect(
        "Range un document reçu par MSSanté dont l'INS ne correspond à aucun résident dans le dossier d'un autre "
        "résident, et l'accuse « processed » au lieu d'un accusé d'erreur.",
        frozenset({"MSS-22"}),
    ),
    "mss-erreur-ignoree": Defect(
        "Sur un refus de l'opérateur MSSanté (5xx), annonce l'envoi comme réussi et abandonne le message.",
        frozenset({"MSS-23"}),
    ),
    "mss-objet-date-impossible": Defect(
        "Écrit dans l'objet de ses messages MSSanté une date de naissance qui n'existe pas (mois 14).",
        frozenset({"MSS-05", "MSS-20"}),
    ),
    "mss-patient-adresse-ipp": Defect(
        "Adresse la messagerie Mon espace santé d'un résident qualifié avec son identifiant local au lieu de son "
        "matricule INS.",
        frozenset({"MSS-21"}),
    ),
    "mss-message-id-fixe": Defect(
        "Donne le même Message-ID à tous ses messages MSSanté (vague 2).",
        frozenset({"MSS-32"}),
    ),
    "mss-reponse-sans-references": Defect(
        "Répond à un message MSSanté reçu sans In-Reply-To ni References (vague 2).",
        frozenset({"MSS-33"}),
    ),
    "mss-sans-demande-distribution": Defect(
        "Ne demande pas d'accusé de distribution (pas de Return-Receipt-To) sur ses messages MSSanté (vague 2).",
        frozenset({"MSS-34"}),
    ),
    "mss-distribution-ignoree": Defect(
        "Ignore les accusés de distribution (DSN) de l'opérateur : un message non distribué reste « envoyé » "
        "(vague 2).",
        frozenset({"MSS-35"}),
    ),
    "mss-sans-nil": Defect(
        "N'écrit pas l'en-tête X-MSS-NIL (numéro de référencement du logiciel) dans ses messages MSSanté (vague 2).",
        frozenset({"MSS-36"}),
    ),
    "mss-reponse-patient-non-bloquee": Defect(
        "N'écrit pas X-MSS-MES: FIN quand l'utilisateur bloque la réponse du patient (vague 2).",
        frozenset({"MSS-37"}),
    ),
    "mss-rapprochement-matricule-seul": Defect(
        "Range automatiquement un document reçu par MSSanté sur le seul matricule INS, sans comparer les traits "
        "(vague 2).",
        frozenset({"MSS-39"}),
    ),
    "mss-doublon-integre": Defect(
        "Range deux fois un même document (même uniqueId) reçu deux fois par MSSanté (vague 2).",
        frozenset({"MSS-40"}),
    ),
    "mss-authentification-mot-de-passe": Defect(
        "Ouvre la BAL personnelle ou organisationnelle du professionnel connecté par un mot de passe (PLAIN) au lieu "
        "de SASL XOAUTH2 avec son jeton d'accès Pro Santé Connect.",
        frozenset({"MSS-24"}),
    ),
    "mss-xoauth2-jeton-expire": Defect(
        "Ouvre la BAL du professionnel avec le premier jeton d'accès de sa session Pro Santé Connect, même après "
        "l'avoir rafraîchi : un jeton expiré que PSC ne tient plus pour valide.",
        frozenset({"MSS-24"}),
    ),
    "mss-bal-applicative-sans-certificat": Defect(
        "Ouvre sa BAL applicative sans présenter son certificat client, par le seul mot de passe.",
        frozenset({"MSS-25"}),
    ),
    "mss-session-apres-fin-psc": Defect(
        "Garde ouvertes les sessions IMAP et SMTP d'un professionnel dont la session Pro Santé Connect a pris fin, et "
        "les rouvre avec son jeton mort.",
        frozenset({"MSS-26"}),
    ),
    "mss-suites-tls-hors-liste": Defect(
        "Propose à l'opérateur MSSanté les suites TLS par défaut de sa bibliothèque au lieu de la seule liste de "
        "l'API LPS : il accepte un opérateur qui n'offre qu'une suite hors liste.",
        frozenset({"MSS-27"}),
    ),
    "psc-sessions-persistantes": Defect(
        "Ne ferme aucune session Pro Santé Connect, ni à la déconnexion ni à la remise à zéro : les sessions d'un "
        "scénario restent visibles (GET /session) dans les suivants.",
        frozenset({"PSC-22"}),
    ),
}


def check_defects(names: frozenset[str] | set[str]) -> frozenset[str]:
    """The defects as a frozenset; ValueError (French) on an unknown name."""
    unknown = sorted(set(names) - set(DEFECTS))
    if unknown:
        raise ValueError(f"Défaut inconnu : {', '.join(unknown)} (connus : {', '.join(DEFECTS)}).")
    return frozenset(names)
