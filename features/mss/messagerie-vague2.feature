# language: fr
@direct
Fonctionnalité: Messagerie sécurisée de santé depuis le DUI : vague 2
  Ce que la vague 2 du Ségur ajoute (projet Squash 2022, identifiants SC.MSS* provisoires) : un Message-ID
  unique, l'en-tête X-MSS-NIL et l'UTF-8 sur chaque message, In-Reply-To et References sur une réponse,
  X-MSS-MES: FIN pour bloquer la réponse d'un patient, l'accusé de distribution (DSN) demandé et rapproché,
  et des documents reçus rangés seulement sur un rapprochement strict (matricule INS et traits), une fois.

  Contexte:
    Soit un DUI remis à zéro, relié au téléservice INSi simulé

  @MSS-32 @MSS-36 @MSS-38 @MSS-41
  Scénario: Chaque message du DUI porte son propre Message-ID, X-MSS-NIL, et il est en UTF-8 et text/plain
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand le DUI envoie par MSSanté le DLU du résident à « urgences@ch-fictif.mssante.fr »
    Et le DUI envoie par MSSanté le DLU du résident à « sans-accuse@ch-fictif.mssante.fr »
    Alors les messages envoyés par le DUI respectent les exigences « MSS-32 MSS-36 MSS-38 MSS-41 »

  @MSS-37
  Scénario: Le DUI bloque la réponse du patient quand l'utilisateur le demande
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand le DUI envoie par MSSanté le DLU du résident à sa messagerie Mon espace santé, réponse du patient bloquée
    Alors le message pour la messagerie Mon espace santé bloque la réponse du patient

  @MSS-33
  Scénario: Une réponse à un message reçu porte In-Reply-To et References
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand un établissement envoie au DUI par MSSanté un DLU lisible du résident
    Et le DUI relève sa messagerie MSSanté
    Et le DUI répond par MSSanté au message reçu
    Alors la réponse reçue par l'opérateur porte In-Reply-To et References du message reçu

  @MSS-34
  Scénario: Le DUI demande un accusé de distribution
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand le DUI envoie par MSSanté le DLU du résident à « urgences@ch-fictif.mssante.fr »
    Alors le message reçu par l'opérateur demande un accusé de distribution

  @MSS-35
  Scénario: L'accusé de distribution est rapproché du message envoyé
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand le DUI envoie par MSSanté le DLU du résident à « urgences@ch-fictif.mssante.fr »
    Et le DUI relève sa messagerie MSSanté
    Alors l'envoi montre ce que dit l'accusé de distribution : distribué

  @MSS-35
  Scénario: Un message non distribué montre la raison de la non-distribution
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand le DUI envoie par MSSanté le DLU du résident à « non-distribue@ch-fictif.mssante.fr »
    Et le DUI relève sa messagerie MSSanté
    Alors l'envoi montre ce que dit l'accusé de distribution : non distribué

  @MSS-39
  Scénario: Un document dont seuls les matricules INS concordent attend dans la liste de travail
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand un établissement envoie au DUI par MSSanté le DLU du résident avec une autre date de naissance
    Et le DUI relève sa messagerie MSSanté
    Alors le document attend dans la liste de travail du DUI, hors de tout dossier

  @MSS-40
  Scénario: Un document reçu deux fois est rangé une fois, sa nouvelle version est reconnue
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand un établissement envoie au DUI par MSSanté deux fois le même DLU du résident, puis sa nouvelle version
    Et le DUI relève sa messagerie MSSanté
    Alors le document est rangé une seule fois et sa nouvelle version reconnue
