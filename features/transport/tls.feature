# language: fr
@direct
Fonctionnalité: Sécurité du transport vers les services nationaux simulés
  Les services simulés présentent un certificat d'une IGC de test générée pour l'exécution et
  demandent le certificat client du DUI. Le harnais lit, pour chaque échange enregistré, la
  version de TLS et le sujet du certificat client ; il sert aussi un scénario en TLS 1.0/1.1
  seulement, que le DUI doit refuser. Sans TLS (tls = false), ces exigences sont
  signalées « non évaluées ».

  Contexte:
    Soit un DUI remis à zéro, relié au téléservice INSi simulé

  @GEN-10 @GEN-11
  Scénario: Le DUI chiffre ses échanges en TLS 1.2 ou plus et présente son certificat
    Quand le résident « unique » est admis par ses traits sur présentation de la pièce « CN »
    Alors les échanges du DUI avec l'INSi sont chiffrés en TLS 1.2 ou plus
    Et le DUI présente son certificat client à l'INSi

  @GEN-10
  Scénario: Le DUI refuse un serveur qui n'offre que TLS 1.0 ou 1.1
    Soit les services simulés n'acceptant que TLS 1.0 ou 1.1
    Quand le DUI tente d'admettre le résident « unique » sur présentation de la pièce « CN »
    Alors le DUI n'a envoyé aucune requête à l'INSi limitée à TLS 1.0 ou 1.1

  @GEN-12
  Scénario: Le DUI refuse un serveur dont le certificat ne remonte pas à la racine configurée
    Soit les services simulés présentant un certificat d'une autre autorité
    Quand le DUI tente d'admettre le résident « unique » sur présentation de la pièce « CN »
    Alors le DUI n'a envoyé aucune requête à l'INSi au certificat inconnu
