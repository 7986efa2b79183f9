# language: fr
@direct
Fonctionnalité: Consultation du DMP depuis le dossier du résident (vague 2)
  L'utilisateur ouvre le dossier d'un résident fictif dans le DUI, où la non-opposition du résident à l'accès à
  son DMP est enregistrée ou non. Pour une INS qualifiée sans opposition, le DUI teste de lui-même l'existence du
  DMP (TD0.2) puis en liste les documents (ITI-18) ; il montre ce qu'il sait du DMP (lireVueDmp) ; il n'en
  télécharge pas deux fois un même document et en remarque les nouvelles versions. Le DMP simulé
  répond pour chaque résident comme le dit conformance/live/personas.toml (DMP absent, accès refusé). Le harnais
  compare les échanges enregistrés et la vue du DUI avec ce que le DMP simulé détient.

  Contexte:
    Soit un DUI remis à zéro, relié au DMP simulé

  @DMP-66 @DMP-65
  Scénario: À l'ouverture du dossier, le DUI teste l'existence du DMP sans action de l'utilisateur
    Soit le résident « unique » hébergé sur présentation de la pièce « CN »
    Quand l'utilisateur ouvre le dossier de ce résident
    Alors le DUI a testé l'existence du DMP à l'ouverture, avant toute consultation
    Et les tests d'existence du DMP faits à l'ouverture sont conformes

  @DMP-68 @DMP-69
  Scénario: Le dossier montre l'état du DMP, ses documents et le VSM le plus récent
    Soit le résident « unique » hébergé sur présentation de la pièce « CN »
    Et un DLU et deux VSM du premier résident partagés dans le DMP par d'autres professionnels
    Quand l'utilisateur ouvre le dossier de ce résident
    Alors le dossier montre le DMP tel que le DMP simulé le détient
    Et le dossier montre si un VSM est disponible et la date du plus récent

  @DMP-68
  Plan du scénario: Le dossier montre un DMP <cas> comme tel, sans liste inventée
    Soit le résident « <résident> » hébergé sur présentation de la pièce « CN »
    Quand l'utilisateur ouvre le dossier de ce résident
    Alors le dossier montre le DMP tel que le DMP simulé le détient

    Exemples:
      | résident       | cas                             |
      | ne-etranger    | absent                          |
      | date-partielle | dont l'accès est refusé         |

  @DMP-67
  Scénario: Opposition du résident : aucune transaction avec le DMP
    Soit le résident « nom-compose » hébergé sur présentation de la pièce « CN »
    Quand l'utilisateur ouvre le dossier de ce résident
    Alors le DUI n'a fait aucune transaction avec le DMP et le dossier en montre la raison

  @DMP-67
  Scénario: Identité non qualifiée : aucune transaction avec le DMP
    Soit le résident « unique » hébergé sans pièce d'identité
    Quand l'utilisateur ouvre le dossier de ce résident
    Alors le DUI n'a fait aucune transaction avec le DMP et le dossier en montre la raison

  @DMP-70 @DMP-65
  Scénario: Le DUI teste l'existence du DMP avant de l'alimenter
    Soit le résident « unique » hébergé sur présentation de la pièce « CN »
    Quand le DUI alimente le DMP avec un DLU pour ce résident
    Alors le DUI a testé l'existence du DMP avant l'alimentation
    Et les tests d'existence du DMP faits avant l'alimentation sont conformes

  @DMP-71
  Scénario: Une nouvelle intégration ne retélécharge pas un document déjà intégré
    Soit le résident « historique » hébergé sur présentation de la pièce « CN »
    Et un DLU du premier résident partagé dans le DMP par un autre professionnel
    Quand le DUI intègre les documents du DMP du premier résident
    Et un autre professionnel partage un nouveau DLU du premier résident dans le DMP
    Et le DUI intègre de nouveau les documents du DMP du premier résident
    Alors aucun document déjà intégré n'est téléchargé de nouveau

  @DMP-72
  Scénario: Le DUI signale la nouvelle version d'un document intégré
    Soit le résident « historique » hébergé sur présentation de la pièce « CN »
    Et un DLU du premier résident partagé dans le DMP par un autre professionnel
    Quand le DUI intègre les documents du DMP du premier résident
    Et un autre professionnel remplace ce DLU dans le DMP
    Et le DUI intègre de nouveau les documents du DMP du premier résident
    Alors le dossier signale la nouvelle version du document intégré
