# language: fr
@direct
Fonctionnalité: Messagerie sécurisée de santé depuis le DUI
  Le DUI envoie le DLU d'un résident depuis sa BAL applicative (SMTPS, certificat du DUI) et
  relève les messages reçus (IMAPS). L'opérateur MSSanté simulé enregistre chaque message et y
  applique les vérifications hors ligne ; ses boîtes scriptées accusent, refusent ou échouent.

  Contexte:
    Soit un DUI remis à zéro, relié au téléservice INSi simulé

  @MSS-20
  Scénario: Le DLU envoyé à une BAL professionnelle arrive conforme avec une demande d'accusé
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand le DUI envoie par MSSanté le DLU du résident à « urgences@ch-fictif.mssante.fr »
    Alors le message reçu par l'opérateur pour « urgences@ch-fictif.mssante.fr » est conforme et demande un accusé

  @MSS-21
  Scénario: Pas de message vers Mon espace santé pour une identité non qualifiée
    Soit le résident « unique » admis sans pièce d'identité
    Quand le DUI envoie par MSSanté le DLU du résident à sa messagerie Mon espace santé
    Alors la messagerie Mon espace santé n'est adressée que pour une identité qualifiée

  @MSS-21
  Scénario: Un message vers Mon espace santé pour une identité qualifiée
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand le DUI envoie par MSSanté le DLU du résident à sa messagerie Mon espace santé
    Alors la messagerie Mon espace santé n'est adressée que pour une identité qualifiée

  @MSS-22
  Scénario: Un DLU reçu est rangé dans le dossier du résident et accusé
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand un établissement envoie au DUI par MSSanté un DLU lisible du résident
    Et le DUI relève sa messagerie MSSanté
    Alors le document reçu est traité et accusé comme il se doit

  @MSS-22
  Scénario: Un message à l'archive illisible reçoit un accusé d'erreur
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand un établissement envoie au DUI par MSSanté un DLU illisible du résident
    Et le DUI relève sa messagerie MSSanté
    Alors le document reçu est traité et accusé comme il se doit

  @MSS-22
  Scénario: Un DLU reçu pour un patient qui n'est pas résident n'est rangé dans aucun dossier
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand un établissement envoie au DUI par MSSanté le DLU d'un patient qui n'est pas résident
    Et le DUI relève sa messagerie MSSanté
    Alors le document n'est rangé dans aucun dossier : liste de travail à rapprocher ou accusé d'erreur

  @MSS-23
  Scénario: Un refus SMTP est montré à l'utilisateur et le message gardé pour un nouvel envoi
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand le DUI envoie par MSSanté le DLU du résident à « refus-smtp@ch-fictif.mssante.fr »
    Alors l'erreur est montrée à l'utilisateur et le message gardé pour un nouvel envoi

  @MSS-23
  Scénario: Un accusé d'erreur est montré à l'utilisateur et le message gardé pour un nouvel envoi
    Soit le résident « unique » admis sur présentation de la pièce « CN »
    Quand le DUI envoie par MSSanté le DLU du résident à « erreur-integration@ch-fictif.mssante.fr »
    Et le DUI relève sa messagerie MSSanté
    Alors l'erreur est montrée à l'utilisateur et le message gardé pour un nouvel envoi
