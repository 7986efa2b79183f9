# language: fr
@direct
Fonctionnalité: Refus des jetons défectueux de Pro Santé Connect
  Comme les tests « relying party » de l'OpenID Foundation, le fournisseur simulé corrompt un seul
  élément de la connexion. Le scénario passe quand le DUI s'arrête : aucune session ouverte et aucun
  appel userinfo pendant l'attente configurée (attente_s de la section [psc]).

  Contexte:
    Soit un DUI remis à zéro, relié à Pro Santé Connect simulé

  @PSC-10
  Scénario: Jeton d'identité à la signature invalide
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « signature-invalide »
    Alors le DUI refuse la connexion

  @PSC-11
  Scénario: Jeton d'identité non signé (alg none)
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « alg-none »
    Alors le DUI refuse la connexion

  @PSC-12
  Scénario: Jeton d'identité signé par une clé inconnue
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « kid-inconnu »
    Alors le DUI refuse la connexion

  @PSC-13
  Scénario: Jeton d'identité d'un autre émetteur
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « iss-errone »
    Alors le DUI refuse la connexion

  @PSC-14
  Scénario: Jeton d'identité destiné à un autre client
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « aud-errone »
    Alors le DUI refuse la connexion

  @PSC-15
  Scénario: Jeton d'identité expiré
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « expire »
    Alors le DUI refuse la connexion

  @PSC-16
  Scénario: Jeton d'identité émis dans le futur
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « iat-futur »
    Alors le DUI refuse la connexion

  @PSC-17
  Scénario: Jeton d'identité au nonce différent
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « nonce-different »
    Alors le DUI refuse la connexion

  @PSC-18
  Scénario: Jeton d'identité sans niveau eidas1
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « acr-insuffisant »
    Alors le DUI refuse la connexion

  @PSC-19
  Scénario: userinfo d'un autre utilisateur que le jeton d'identité
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « sub-userinfo-different »
    Alors le DUI refuse la connexion

  @PSC-25
  Scénario: Réponse userinfo à la signature invalide
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « userinfo-signature-invalide »
    Alors le DUI refuse la connexion

  @PSC-03
  Scénario: Retour au DUI avec un state différent
    Quand le professionnel « ide-martin » se connecte et Pro Santé Connect renvoie le défaut « etat-different »
    Alors le DUI refuse la connexion
