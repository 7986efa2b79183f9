# language: fr
@hors-ligne @mime
Fonctionnalité: Messages MSSanté exportés par le DUI
  Un message MSSanté est lu en mémoire, borné (taille, nombre de parties, imbrication) ;
  ses documents voyagent dans une archive IHE_XDM.ZIP accompagnée d'un rendu lisible, ses
  en-têtes MSSanté décrivent les CDA joints, ses adresses appartiennent à l'espace de confiance.
  Chaque CDA de l'archive passe en outre par les scénarios CDA et INS, sous le nom
  « message.eml!IHE_XDM.ZIP!IHE_XDM/SUBSET01/DOC0001.XML ».

  Contexte:
    Soit un document exporté par le DUI
    Quand le harnais analyse le message MSSanté et son archive IHE_XDM

  @MSS-01
  Scénario: Le message MIME est lisible sans risque
    Alors le message respecte les exigences « MSS-01 »

  @MSS-07
  Scénario: L'expéditeur et les destinataires sont des adresses MSSanté
    Alors le message respecte les exigences « MSS-07 »

  @MSS-02 @MSS-05
  Scénario: Les documents sont joints dans IHE_XDM.ZIP avec un rendu lisible et un objet conforme
    Alors le message respecte les exigences « MSS-02 MSS-05 »

  @MSS-03 @MSS-04
  Scénario: Les en-têtes X-MSS-CODECDA et X-MSS-INS décrivent les CDA joints
    Alors le message respecte les exigences « MSS-03 MSS-04 »

  @MSS-06
  Scénario: La demande d'accusé de traitement désigne une adresse MSSanté
    Alors le message respecte les exigences « MSS-06 »

  @DMP-46 @DMP-47 @DMP-48 @DMP-49 @DMP-50 @DMP-51 @DMP-52 @DMP-56
  Scénario: L'archive IHE_XDM.ZIP jointe est sûre, bien structurée et cohérente avec ses CDA
    Alors le message respecte les exigences « DMP-46 DMP-47 DMP-48 DMP-49 DMP-50 DMP-51 DMP-52 DMP-56 »
