"""Scripted mailboxes of the MSSanté mock: one behaviour each, chosen by address (facts §4.4)."""

from __future__ import annotations

ACCEPT_MDN = "accuse-traite"
ERROR_MDN = "accuse-erreur"
NO_ACK = "sans-accuse"
SMTP_REJECT = "refus-smtp"
SLOW = "lent"
UNDELIVERED = "non-distribue"  # accepted in SMTP, then lost at delivery: a failure DSN goes back (RFC 3464)
STORE = "depot"  # any other known mailbox: delivered, read over IMAP, no automatic answer

SCRIPTED = {
    "urgences@ch-fictif.mssante.fr": ACCEPT_MDN,
    "erreur-integration@ch-fictif.mssante.fr": ERROR_MDN,
    "sans-accuse@ch-fictif.mssante.fr": NO_ACK,
    "refus-smtp@ch-fictif.mssante.fr": SMTP_REJECT,
    "lent@ch-fictif.mssante.fr": SLOW,
    "non-distribue@ch-fictif.mssante.fr": UNDELIVERED,
}
INTEGRATION_ERROR = ("INS_INCONNU", "Patient inconnu du dossier du destinataire")
UNDELIVERED_REASON = ("5.2.2", "552 5.2.2 Boîte aux lettres du destinataire pleine (non-distribution simulée)")
REJECT_REPLY = "554 5.7.1 Message refusé par le destinataire (refus simulé)"
UNKNOWN_REPLY = "550 5.1.1 Destinataire inconnu de l'annuaire MSSanté"
OUTSIDE_REPLY = "550 5.7.1 Destinataire hors de l'espace de confiance MSSanté"
PATIENT_FIRST_REPLY = "550 5.7.1 Un patient ne peut pas initier un échange avec un professionnel"


def behaviour_of(address: str) -> str:
    return SCRIPTED.get(address.lower(), STORE)
