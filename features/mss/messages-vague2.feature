# language: fr
@hors-ligne @mime
Fonctionnalité: Messages MSSanté exportés par le DUI : règles de la vague 2
  La vague 2 du Ségur ajoute aux messages MSSanté un identifiant de message bien formé et, pour une
  réponse, In-Reply-To et References (SC.MSS.10/11, RFC 5322 §3.6.4), l'en-tête X-MSS-NIL sur chaque
  message (SC.MSS/CONF.16 : le numéro de référencement du logiciel, option --nil-mss), X-MSS-MES: FIN
  pour bloquer la réponse d'un patient (SC.MSS/CONF.21), l'UTF-8 (SC.MSS/CONF.19) et un corps text/plain ou
  multipart/alternative (SC.MSS.12).

  Contexte:
    Soit un document exporté par le DUI
    Quand le harnais analyse le message MSSanté et son archive IHE_XDM

  @MSS-32
  Scénario: Le message porte un Message-ID bien formé
    Alors le message respecte les exigences « MSS-32 »

  @MSS-33
  Scénario: Une réponse porte In-Reply-To et References
    Alors le message respecte les exigences « MSS-33 »

  @MSS-36
  Scénario: Le message porte le numéro de référencement du logiciel (X-MSS-NIL)
    Alors le message respecte les exigences « MSS-36 »

  @MSS-37
  Scénario: X-MSS-MES bloque seulement la réponse d'un patient
    Alors le message respecte les exigences « MSS-37 »

  @MSS-38
  Scénario: Le texte et les en-têtes sont en UTF-8
    Alors le message respecte les exigences « MSS-38 »

  @MSS-41
  Scénario: Le corps du message est en text/plain ou multipart/alternative
    Alors le message respecte les exigences « MSS-41 »
