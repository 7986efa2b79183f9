# language: fr
@direct
Fonctionnalité: Pro Santé Connect, vague 2 : niveau eidas2 et fin du jeton de rafraîchissement
  Exigences ajoutées par la vague 2 du Ségur. Pro Santé Connect renvoie désormais « acr » = « eidas2 »
  (authMode « CARD ») aux professionnels connectés par carte CPS ou e-CPS
  (ansforge/keycloak-prosanteconnect#43) : le DUI, qui demande toujours acr_values=eidas1, l'accepte.
  Quand Pro Santé Connect refuse le jeton de rafraîchissement (expiré, invalide ou révoqué), le DUI
  met fin à la session du professionnel.

  Contexte:
    Soit un DUI remis à zéro, relié à Pro Santé Connect simulé

  @PSC-26
  Plan du scénario: Jeton d'identité de niveau eidas2 (connexion par <moyen>) : la session s'ouvre
    Quand le professionnel « ide-martin » se connecte par « <moyen> » et Pro Santé Connect renvoie le niveau « eidas2 »
    Alors le DUI accepte le niveau supérieur à eidas1 et ouvre la session

    Exemples:
      | moyen |
      | CPS   |
      | e-CPS |

  @PSC-27
  Plan du scénario: Jeton de rafraîchissement <fin> : la session du DUI prend fin
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Quand le jeton d'accès du professionnel expire, son jeton de rafraîchissement prend fin « <cas> » et le DUI revalide sa session
    Alors le DUI a fermé la session, sans jeton de rafraîchissement réutilisé

    Exemples:
      | cas      | fin      |
      | expire   | expiré   |
      | invalide | invalide |
      | revoque  | révoqué  |
