# language: fr
@direct
Fonctionnalité: Connexion d'un professionnel au DUI par Pro Santé Connect
  Le harnais joue le navigateur depuis l'URL de connexion du DUI jusqu'au fournisseur Pro Santé
  Connect simulé, qui authentifie un professionnel fictif de l'annuaire (e-CPS). Il vérifie la
  demande d'autorisation et l'échange du code enregistrés par le fournisseur simulé, puis demande
  à l'adaptateur du DUI qui est connecté.

  Contexte:
    Soit un DUI remis à zéro, relié à Pro Santé Connect simulé

  @PSC-21 @PSC-01 @PSC-02 @PSC-04 @PSC-05 @PSC-06 @PSC-07 @PSC-08
  Scénario: Connexion réussie : la session appartient au bon professionnel
    Quand le professionnel « ide-martin » se connecte au DUI par Pro Santé Connect
    Alors la session du DUI appartient à ce professionnel (identifiant national, profession, activité dans l'ESMS)
    Et les requêtes du DUI à Pro Santé Connect respectent les exigences « PSC-01 PSC-02 PSC-04 PSC-05 PSC-06 PSC-07 PSC-08 »

  @PSC-03
  Scénario: Le même retour de Pro Santé Connect présenté deux fois : le second est refusé
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Quand le même retour de Pro Santé Connect est présenté une seconde fois au DUI
    Alors le DUI refuse le retour rejoué, son « state » ayant déjà servi
