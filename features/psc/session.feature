# language: fr
@direct
Fonctionnalité: Vie de la session Pro Santé Connect dans le DUI
  Rotation des clés du fournisseur, déconnexion, expiration du jeton d'accès, et identité du
  professionnel connecté dans le VIHF des soumissions au DMP.

  Contexte:
    Soit un DUI remis à zéro, relié à Pro Santé Connect simulé

  @PSC-20
  Scénario: Rotation des clés : un jeton signé par la nouvelle clé est accepté
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Quand Pro Santé Connect publie une nouvelle clé et le professionnel « medecin-durand » se connecte
    Alors le DUI accepte le jeton signé par la nouvelle clé

  @PSC-22
  Scénario: Déconnexion : la session disparaît
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Quand le professionnel se déconnecte du DUI
    Alors la déconnexion passe par Pro Santé Connect et la session du DUI a disparu

  @PSC-23
  Scénario: Jeton d'accès expiré : rafraîchi ou nouvelle connexion, jamais gardé en silence
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Quand le jeton d'accès du professionnel expire et le DUI revalide sa session
    Alors le DUI a rafraîchi le jeton ou fermé la session

  @PSC-24
  Scénario: Le VIHF des soumissions au DMP désigne le professionnel connecté
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Et le résident « unique » hébergé sur présentation de la pièce « CN »
    Quand le DUI alimente le DMP avec un DLU pour ce résident
    Alors le VIHF de la soumission ITI-41 désigne le professionnel connecté
