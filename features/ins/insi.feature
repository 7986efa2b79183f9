# language: fr
@direct
Fonctionnalité: Interrogation du téléservice INSi à l'admission d'un résident
  Le DUI admet des résidents fictifs. Le téléservice INSi simulé répond selon l'identité :
  une identité trouvée, aucune, plusieurs, un INS accompagné d'un historique, une faute SOAP.
  Le harnais vérifie ce que le DUI envoie à l'INSi, ce qu'il enregistre et ce qu'il exporte
  (ressource FHIR Patient). Chaque constat renvoie à l'échange INSi enregistré.

  Contexte:
    Soit un DUI remis à zéro, relié au téléservice INSi simulé

  @INS-20 @INS-21 @INS-22 @INS-25 @INS-14
  Scénario: Identité trouvée sans pièce d'identité : récupérée (RECUP), matricule non transmis
    Quand le résident « unique » est admis par ses traits sans pièce d'identité
    Alors les requêtes INSi du DUI sont conformes
    Et tout INS enregistré par le DUI provient d'une réponse de l'INSi
    Et les traits et le matricule restitués sont ceux renvoyés par l'INSi
    Et le matricule INS n'est transmis que pour une identité qualifiée
    Et l'identité restituée par le DUI passe les contrôles INS d'un export FHIR

  @INS-20 @INS-21 @INS-22 @INS-25 @INS-14
  Scénario: Identité trouvée et carte d'identité contrôlée : qualifiée (QUAL), matricule transmis
    Quand le résident « unique » est admis par ses traits sur présentation de la pièce « CN »
    Alors les requêtes INSi du DUI sont conformes
    Et tout INS enregistré par le DUI provient d'une réponse de l'INSi
    Et les traits et le matricule restitués sont ceux renvoyés par l'INSi
    Et le matricule INS n'est transmis que pour une identité qualifiée
    Et l'identité restituée par le DUI passe les contrôles INS d'un export FHIR

  @INS-21 @INS-24
  Scénario: Aucune identité trouvée (CR 01), carte d'identité contrôlée : identité validée (VALI), sans INS
    Quand le résident « inconnu » est admis par ses traits sur présentation de la pièce « CN »
    Alors les requêtes INSi du DUI sont conformes
    Et après la réponse CR 01 l'identité est validée, sans INS

  @INS-21 @INS-24
  Scénario: Aucune identité trouvée (CR 01) sans pièce d'identité : identité provisoire (PROV), sans INS
    Quand le résident « inconnu » est admis par ses traits sans pièce d'identité
    Alors les requêtes INSi du DUI sont conformes
    Et après la réponse CR 01 l'identité reste provisoire, sans INS

  @INS-23
  Scénario: Plusieurs identités trouvées (CR 02) : aucun INS, même après une admission réussie
    Soit le résident « unique » déjà admis par ses traits sur présentation de la pièce « CN »
    Quand le résident « homonyme-parfait-1 » est admis par ses traits sur présentation de la pièce « CN »
    Alors après la réponse CR 02 aucun INS n'est enregistré

  @INS-20 @INS-26
  Scénario: INS actif accompagné d'un INS historique : seul l'actif est enregistré
    Quand le résident « historique » est admis par ses traits sur présentation de la pièce « CN »
    Alors seul le matricule INS actif est enregistré
    Et tout INS enregistré par le DUI provient d'une réponse de l'INSi

  @INS-22 @INS-25 @INS-14
  Plan du scénario: Traits particuliers repris à l'identique : <cas>
    Quand le résident « <résident> » est admis par ses traits sur présentation de la pièce « CN »
    Alors les traits et le matricule restitués sont ceux renvoyés par l'INSi
    Et le matricule INS n'est transmis que pour une identité qualifiée
    Et l'identité restituée par le DUI passe les contrôles INS d'un export FHIR

    Exemples:
      | résident       | cas                                              |
      | nom-compose    | apostrophe, tiret et plusieurs prénoms           |
      | ne-etranger    | naissance à l'étranger (lieu 99 + code pays)     |
      | date-partielle | date de naissance partielle (jour inconnu)       |

  @INS-21 @INS-22 @INS-25 @INS-29 @INS-14
  Plan du scénario: Traits saisis comme une personne les tape, enregistrés comme l'INSi les renvoie : <cas>
    Quand le résident « <résident> » est admis par ses traits sur présentation de la pièce « CN »
    Alors les requêtes INSi du DUI sont conformes
    Et les traits et le matricule restitués sont ceux renvoyés par l'INSi
    Et le matricule INS n'est transmis que pour une identité qualifiée
    Et les traits envoyés à l'INSi sont en majuscules sans signes diacritiques
    Et l'identité restituée par le DUI passe les contrôles INS d'un export FHIR

    Exemples:
      | résident          | cas                                                    |
      | nom-compose-saisi | minuscules, accents, apostrophe, nom composé, 3 prénoms |
      | unique-saisi      | capitale initiale seulement, prénom accentué           |

  @INS-27
  Scénario: Faute SOAP de l'INSi : erreur signalée, aucun INS
    Quand le résident « faute » est admis par ses traits sur présentation de la pièce « CN »
    Alors la faute de l'INSi est signalée et aucun INS n'est enregistré

  @INS-28
  Scénario: Admission par carte Vitale : l'INSi est interrogé avec la carte
    Quand le résident « vitale » est admis par sa carte Vitale sur présentation de la pièce « CN »
    Alors l'INSi a été interrogé avec la carte Vitale

  @INS-20 @INS-21 @INS-22 @INS-14
  Scénario: Admission par carte Vitale : INS obtenu de l'INSi et traits repris à l'identique
    Quand le résident « vitale » est admis par sa carte Vitale sur présentation de la pièce « CN »
    Alors tout INS enregistré par le DUI provient d'une réponse de l'INSi
    Et les requêtes INSi du DUI sont conformes
    Et les traits et le matricule restitués sont ceux renvoyés par l'INSi
    Et l'identité restituée par le DUI passe les contrôles INS d'un export FHIR
