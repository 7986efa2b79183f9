# language: fr
@hors-ligne @xds
Fonctionnalité: Requêtes d'alimentation du DMP (IHE XDS.b ITI-41)
  Une requête ITI-41 enregistrée (MTOM ou SOAP) est vérifiée comme le fait le NIST XDS toolkit :
  enveloppe, empaquetage, structure ebRIM, assertion VIHF, et concordance des métadonnées avec le
  document CDA transporté.

  Contexte:
    Soit un document exporté par le DUI
    Quand le harnais analyse la soumission et les documents CDA qu'elle transporte

  @DMP-40 @DMP-41
  Scénario: L'enveloppe SOAP 1.2 et l'empaquetage MTOM/XOP sont conformes
    Alors la soumission respecte les exigences « DMP-40 DMP-41 »

  @DMP-42 @DMP-43
  Scénario: La structure ebRIM de la soumission est complète
    Alors la soumission respecte les exigences « DMP-42 DMP-43 »

  @DMP-44 @DMP-45
  Scénario: L'assertion VIHF identifie la structure, le professionnel et le patient
    Alors la soumission respecte les exigences « DMP-44 DMP-45 »

  @DMP-46 @DMP-47 @DMP-48 @DMP-49 @DMP-50
  Scénario: Les métadonnées du DocumentEntry concordent avec le document CDA
    Alors la soumission respecte les exigences « DMP-46 DMP-47 DMP-48 DMP-49 DMP-50 »
