# language: fr
@hors-ligne @tout
Fonctionnalité: Lecture sûre des documents exportés
  Avant toute vérification métier, le harnais s'assure qu'il peut lire chaque document
  sans risque : type reconnu par son contenu, encodage exact, aucune entité externe.

  @GEN-01
  Scénario: Le document exporté est lisible et bien formé
    Soit un document exporté par le DUI
    Alors son type est reconnu et son contenu est bien formé dans l'encodage déclaré

  @GEN-02
  Scénario: Le document XML ne porte ni DOCTYPE ni déclaration d'entité
    Soit un document exporté par le DUI
    Alors il ne porte ni DOCTYPE ni déclaration d'entité
