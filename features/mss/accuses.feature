# language: fr
@hors-ligne @mime
Fonctionnalité: Accusés de traitement MSSanté (MDN)
  Le DUI qui intègre un document reçu par MSSanté renvoie un accusé de traitement RFC 8098 :
  « processed » s'il a intégré le document, « processed/Error: code^libellé » sinon, avec
  l'objet « [KO Intégration système !] », et l'identifiant du message accusé.

  Contexte:
    Soit un document exporté par le DUI
    Quand le harnais analyse le message MSSanté et son archive IHE_XDM

  @MSS-08
  Scénario: L'accusé est un MDN multipart/report
    Alors le message respecte les exigences « MSS-08 »

  @MSS-09
  Scénario: La disposition dit le succès ou l'erreur d'intégration
    Alors le message respecte les exigences « MSS-09 »

  @MSS-10
  Scénario: L'accusé renvoie au message accusé
    Alors le message respecte les exigences « MSS-10 »
