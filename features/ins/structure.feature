# language: fr
@hors-ligne
Fonctionnalité: Place de l'INS dans chaque format d'export
  Chaque format a son emplacement pour le matricule INS, son OID et les cinq traits ; un INS
  placé ailleurs, ou sans ses traits, n'est pas exploitable par le destinataire.

  Contexte:
    Soit un document exporté par le DUI
    Quand le harnais lit les identités de patient qu'il porte

  @cda @INS-12
  Scénario: Un document CDA porte l'INS et tous ses traits dans le recordTarget
    Alors l'INS et ses traits sont placés selon le format du document

  @hl7v2 @INS-13
  Scénario: Un message HL7 v2 porte l'INS et ses traits dans le segment PID
    Alors l'INS et ses traits sont placés selon le format du document

  @fhir @INS-14
  Scénario: Une ressource FHIR Patient porte l'INS selon le profil FR Core
    Alors l'INS et ses traits sont placés selon le format du document
