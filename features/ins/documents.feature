# language: fr
@hors-ligne @cda @hl7v2 @fhir
Fonctionnalité: Identité nationale de santé dans les documents exportés
  Un DUI ne transmet le matricule INS qu'avec l'OID de son autorité d'affectation et les cinq
  traits INS exacts, et seulement pour une identité qualifiée. Ces scénarios s'appliquent à
  chaque document CDA, message HL7 v2 ou ressource FHIR exporté.

  Contexte:
    Soit un document exporté par le DUI
    Quand le harnais lit les identités de patient qu'il porte

  @INS-01
  Scénario: Le matricule INS a une structure et une clé de contrôle exactes
    Alors chaque matricule INS compte 15 caractères dont une clé de contrôle exacte

  @INS-02
  Scénario: Le NIR est cohérent avec les traits de naissance
    Alors chaque NIR concorde avec le sexe, la date et le lieu de naissance

  @INS-03
  Scénario: L'autorité d'affectation de l'INS est identifiée par son OID
    Alors chaque INS porte l'OID de son autorité d'affectation

  @INS-04
  Scénario: Les identités de test restent hors production et inversement
    Alors chaque INS relève de l'environnement attendu

  @INS-05
  Scénario: Le nom de naissance respecte les règles de l'INS
    Alors chaque nom de naissance est présent et écrit selon les règles de l'INS

  @INS-06
  Scénario: Les prénoms de naissance sont complets et cohérents
    Alors chaque identité porte la liste des prénoms de naissance et le premier prénom en tête de liste

  @INS-07
  Scénario: La date de naissance est valide
    Alors chaque date de naissance est valide, complète ou partielle selon les formes de l'INSi

  @INS-08
  Scénario: Le sexe d'une identité INS est masculin ou féminin
    Alors chaque identité portant l'INS a le sexe M ou F

  @INS-09
  Scénario: Le lieu de naissance est un code officiel géographique
    Alors chaque lieu de naissance est un code COG à 5 caractères

  @INS-10
  Scénario: Seule une identité qualifiée porte le matricule INS
    Alors aucun matricule INS n'est transmis pour une identité non qualifiée

  @INS-11
  Scénario: Le statut de l'identité suit le RNIV
    Alors chaque statut d'identité est un statut RNIV cohérent avec ses attributs

  @INS-15
  Scénario: Le statut de l'identité est transmis sans ambiguïté
    Alors chaque statut d'identité dit sans ambiguïté si l'identité portant l'INS est qualifiée

  @INS-16
  Scénario: Le mois codé dans le NIR est un mois calendaire
    Alors chaque NIR code un mois de naissance calendaire
