# language: fr
@hors-ligne @cda
Fonctionnalité: Documents CDA R2 destinés au DMP
  Chaque document CDA exporté par le DUI est vérifié couche par couche, comme le fait l'outil
  officiel TestContenuCDA : structure, en-tête CI-SIS, corps, modèle de document, terminologies,
  puis, si un référentiel officiel est fourni (--referentiel-cda), ses schématrons.

  Contexte:
    Soit un document exporté par le DUI

  @DMP-01
  Scénario: Le document est un ClinicalDocument CDA R2
    Alors la couche « Document CDA bien formé » est conforme

  @DMP-02
  Scénario: Le document respecte le schéma CDA R2
    Alors la couche « Schéma CDA R2 » est conforme

  @DMP-03 @DMP-04 @DMP-05 @DMP-06 @DMP-07 @DMP-08 @DMP-09 @DMP-10 @DMP-11 @DMP-12 @DMP-13 @DMP-14
  Scénario: L'en-tête respecte le volet Structuration minimale du CI-SIS
    Alors la couche « En-tête CI-SIS (Structuration minimale) » est conforme

  @DMP-15 @DMP-16 @DMP-17 @DMP-18
  Scénario: Le corps du document est conforme à son niveau (N1 PDF ou structuré)
    Alors la couche « Corps du document » est conforme

  @DMP-19 @DMP-20 @DMP-21 @DMP-22 @DMP-23
  Scénario: Le document respecte son modèle (DLU, FLUDT, FLUDR, VSM, LDL, IPS-FR)
    Alors la couche « Modèle de document » est conforme

  @DMP-55
  Scénario: Les clés de contrôle des identifiants nationaux sont exactes (avertissement)
    Alors la couche « Clés des identifiants nationaux » est conforme

  @DMP-24 @DMP-25 @DMP-26 @DMP-27 @DMP-28
  Scénario: Les codes appartiennent aux jeux de valeurs du CI-SIS
    Alors la couche « Terminologies CI-SIS » est conforme

  @DMP-30 @DMP-31
  Scénario: Le document est accepté par les schématrons officiels fournis
    Alors la couche « Schématrons officiels » est conforme
