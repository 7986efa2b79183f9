# language: fr
@direct
Fonctionnalité: Alimentation du DMP et intégration de ses documents
  Le DUI produit le document de liaison d'urgence (DLU) d'un résident fictif et le soumet au
  DMP simulé (ITI-41, MTOM, VIHF), le remplace, et intègre dans le dossier du résident les
  documents que le DMP détient pour lui (ITI-18 puis ITI-43). Le harnais vérifie chaque requête
  enregistrée par le DMP simulé, la réponse du DUI et ce qu'il conserve.

  Contexte:
    Soit un DUI remis à zéro, relié au DMP simulé

  @DMP-60 @DMP-40 @DMP-41 @DMP-42 @DMP-44 @DMP-45 @DMP-46 @DMP-47 @DMP-48 @DMP-49 @DMP-50
  Scénario: Alimentation du DMP par un DLU pour une identité qualifiée
    Soit le résident « unique » hébergé sur présentation de la pièce « CN »
    Quand le DUI alimente le DMP avec un DLU pour ce résident
    Alors le DUI a fait exactement une soumission ITI-41 acceptée, pour l'INS du résident, au CDA conforme
    Et la soumission ITI-41 respecte les exigences « DMP-40 DMP-41 DMP-42 DMP-44 DMP-45 DMP-46 DMP-47 DMP-48 DMP-49 DMP-50 »

  @DMP-61 @DMP-43
  Scénario: Remplacement d'un document déjà partagé
    Soit le résident « unique » hébergé sur présentation de la pièce « CN »
    Et un DLU de ce résident déjà envoyé au DMP
    Quand le DUI envoie un DLU qui remplace le précédent
    Alors la soumission ITI-41 respecte les exigences « DMP-43 »
    Et le remplacement est déclaré par RPLC dans la soumission et dans le CDA

  @DMP-62
  Scénario: Identité non qualifiée : le DMP n'est pas alimenté
    Soit le résident « unique » hébergé sans pièce d'identité
    Quand le DUI alimente le DMP avec un DLU pour ce résident
    Alors l'alimentation est refusée et rien n'est envoyé au DMP

  @DMP-63
  Scénario: Erreur du DMP : signalée, document gardé pour un nouvel envoi
    Soit le résident « unique » hébergé sur présentation de la pièce « CN »
    Et le DMP simulé répondra par une erreur à la prochaine soumission
    Quand le DUI alimente le DMP avec un DLU pour ce résident
    Alors l'erreur du DMP est signalée et le document reste en attente

  @DMP-64 @DMP-53 @DMP-54
  Scénario: Intégration des documents du DMP dans le dossier du bon résident
    Soit le résident « historique » hébergé sur présentation de la pièce « CN »
    Et le résident « nom-compose » hébergé sur présentation de la pièce « CN »
    Et un DLU du premier résident partagé dans le DMP par un autre professionnel
    Quand le DUI intègre les documents du DMP du premier résident
    Alors les recherches ITI-18 du DUI sont conformes
    Et les récupérations ITI-43 du DUI sont conformes
    Et le document est rangé dans le dossier du premier résident, et d'aucun autre
