# language: fr
@direct
Fonctionnalité: Authentification et transport du DUI vers l'API LPS de l'opérateur MSSanté (vague 2)
  Une BAL personnelle ou organisationnelle s'ouvre par SASL XOAUTH2 avec le jeton d'accès Pro Santé Connect du
  professionnel connecté ; la BAL applicative du DUI, avec son certificat et PLAIN. La fin du jeton de
  rafraîchissement PSC ferme les sessions IMAP et SMTP. En TLS 1.2, seules les suites de l'API LPS sont admises.
  L'opérateur simulé enregistre chaque authentification (mécanisme, jeton tel qu'il l'a lu, TLS) et chaque fin de
  session ; le harnais les juge.

  Contexte:
    Soit un DUI remis à zéro, relié à Pro Santé Connect simulé

  @MSS-24
  Scénario: La BAL personnelle du professionnel connecté s'ouvre en XOAUTH2 avec son jeton PSC
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Quand le DUI ouvre les sessions IMAP et SMTP de la BAL personnelle du professionnel
    Alors les sessions de la BAL sont ouvertes en XOAUTH2 avec le jeton PSC valide du professionnel connecté

  @MSS-24
  Scénario: La BAL organisationnelle de l'établissement s'ouvre en XOAUTH2 avec le jeton PSC du professionnel
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Quand le DUI ouvre les sessions IMAP et SMTP de la BAL « secretariat@ehpad-les-tilleuls.mssante.fr »
    Alors les sessions de la BAL sont ouvertes en XOAUTH2 avec le jeton PSC valide du professionnel connecté

  @MSS-24
  Scénario: Après le rafraîchissement du jeton d'accès, la BAL se rouvre avec le nouveau jeton
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Et les sessions IMAP et SMTP de la BAL personnelle du professionnel ouvertes par le DUI
    Quand le jeton d'accès du professionnel expire, puis le DUI revalide sa session et rouvre sa BAL personnelle
    Alors les sessions de la BAL sont ouvertes en XOAUTH2 avec le jeton PSC valide du professionnel connecté

  @MSS-25
  Scénario: La BAL applicative s'ouvre avec le certificat du DUI et le mécanisme PLAIN
    Quand le DUI ouvre les sessions IMAP et SMTP de sa BAL applicative
    Alors les sessions de la BAL applicative présentent le certificat du DUI et s'ouvrent en PLAIN

  @MSS-26
  Scénario: La fin du jeton de rafraîchissement PSC ferme les sessions IMAP et SMTP du professionnel
    Soit le professionnel « ide-martin » connecté au DUI par Pro Santé Connect
    Et les sessions IMAP et SMTP de la BAL personnelle du professionnel ouvertes par le DUI
    Quand Pro Santé Connect met fin au jeton de rafraîchissement du professionnel et le DUI revalide sa session
    Et le DUI tente de rouvrir les sessions de la BAL personnelle du professionnel
    Alors le DUI a fermé les sessions de la BAL et n'a plus présenté les jetons du professionnel

  @MSS-27
  Scénario: Le DUI se connecte à l'API LPS en TLS 1.2 avec une suite de la liste, ou en TLS 1.3
    Quand le DUI ouvre les sessions IMAP et SMTP de sa BAL applicative
    Alors chaque connexion du DUI à l'opérateur MSSanté est en TLS 1.2 avec une suite de l'API LPS, ou en TLS 1.3

  @MSS-27
  Scénario: Le DUI refuse un opérateur qui n'offre qu'une suite TLS hors de la liste de l'API LPS
    Soit l'opérateur MSSanté simulé n'offrant en TLS 1.2 qu'une suite hors de la liste de l'API LPS
    Quand le DUI ouvre les sessions IMAP et SMTP de sa BAL applicative
    Alors le DUI n'a ouvert aucune session avec l'opérateur à la suite hors liste
