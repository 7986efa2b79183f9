# language: fr
@hors-ligne @xdm
Fonctionnalité: Archives IHE_XDM.ZIP (pièces jointes MSSanté et échanges par support)
  Une archive XDM est ouverte sans extraction sur disque (ni traversée de chemin, ni bombe) ;
  sa structure suit IHE ITI-32 et ses métadonnées concordent avec chaque document CDA.

  Contexte:
    Soit un document exporté par le DUI
    Quand le harnais analyse la soumission et les documents CDA qu'elle transporte

  @DMP-52
  Scénario: L'archive s'ouvre sans risque
    Alors la soumission respecte les exigences « DMP-52 »

  @DMP-51
  Scénario: L'archive suit la structure IHE_XDM
    Alors la soumission respecte les exigences « DMP-51 »

  @DMP-46 @DMP-47 @DMP-48 @DMP-49 @DMP-50
  Scénario: Les métadonnées de METADATA.XML concordent avec les documents CDA
    Alors la soumission respecte les exigences « DMP-46 DMP-47 DMP-48 DMP-49 DMP-50 »

  @DMP-56
  Scénario: Sans INS, les métadonnées désignent le patient par son identifiant local
    Alors la soumission respecte les exigences « DMP-56 »
