"""Live MSSanté checks (MSS-20…23): what the DUI sent through the operator mock, what it answered
to the messages the harness put in its mailbox, and what it shows the user after a refusal.

Messages the harness sends to the DUI are built here: a DLU for a resident (its INS in the CDA,
inside an IHE_XDM.ZIP), a DLU for a patient who is no resident, or a message whose archive is unreadable.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib.resources import files

from ..decides import decides
from ..exchanges import Exchange
from ..model import Finding, Location, Outcome, failed, passed
from ..mss import check_message_data, is_mdn, mss_members, parse_message
from ..mss.mdn import check_mdn
from ..mss.submission import is_acknowledgement, message_findings
from ..requirements.catalogue import grade
from ..xds.build import xdm_package
from ..xmlsafe import parse_xml

# the reference DUI's applicative mailbox (annuaire.toml); a vendor's DUI names its own in [mss] bal
DUI_MAILBOX = "dui@ehpad-les-tilleuls.mssante.fr"
HOSPITAL = "urgences@ch-fictif.mssante.fr"
PATIENT_DOMAIN = "patient.mssante.fr"
TO_RESEND = "a-renvoyer"
# the INS of the fixture DLU's own patient: a fictitious test identity that is no live persona, so no resident's
UNKNOWN_PATIENT_INS = "248055145412365"


def _where(exchange: Exchange | None) -> Location:
    return Location(exchange=exchange.id) if exchange else Location()


def sent_to(exchanges: list[Exchange], recipient: str) -> list[Exchange]:
    return [
        e
        for e in exchanges
        if recipient.lower() in [r.lower() for r in e.data.get("rcpt_to", [])]
        or e.data.get("refused", "").lower() == recipient.lower()
    ]


@decides("MSS-20")
def check_sent(exchanges: list[Exchange], recipient: str) -> list[Finding]:
    """MSS-20: the message reached the operator, with no failure of the offline checks, and asks for an MDN
    (the DUI's own acknowledgements to that mailbox are no such message)."""
    arrived = [e for e in sent_to(exchanges, recipient) if e.operation == "envoi" and not is_acknowledgement(e)]
    if not arrived:
        return [failed("MSS-20", f"Aucun message du DUI n'a atteint l'opérateur MSSanté pour {recipient}.")]
    out, advice = [], []
    for exchange in arrived:
        found = grade(message_findings(exchange))  # a PEUT's advice keeps its own id, never fails MSS-20
        advice += [f for f in found if f.outcome is Outcome.ADVISORY]
        bad = [f for f in found if f.outcome is Outcome.FAIL]
        out += [
            failed("MSS-20", f"Message envoyé non conforme ({f.requirement}) : {f.message}", _where(exchange))
            for f in bad
        ]
        if not any(k.lower() == "disposition-notification-to" for k in exchange.request.headers):
            out.append(
                failed(
                    "MSS-20",
                    "Message envoyé sans demande d'accusé de traitement (Disposition-Notification-To absent).",
                    _where(exchange),
                )
            )
        if not bad and exchange.response and exchange.response.status == 250 and not out:
            out.append(
                passed(
                    "MSS-20",
                    f"DLU reçu par l'opérateur pour {recipient} : archive XDM, en-têtes MSSanté et "
                    "demande d'accusé conformes.",
                    _where(exchange),
                )
            )
    return out + advice


@decides("MSS-21")
def check_citizen(exchanges: list[Exchange], status: str | None, ins: str | None) -> list[Finding]:
    """MSS-21: a Mon espace santé mailbox is written to only for a qualified identity."""
    to_patients = [
        e for e in exchanges if any(r.lower().endswith("@" + PATIENT_DOMAIN) for r in e.data.get("rcpt_to", []))
    ]
    if status != "QUAL":
        if to_patients:
            return [
                failed(
                    "MSS-21",
                    f"Message envoyé à la messagerie Mon espace santé d'une identité au statut "
                    f"« {status} » : seule une identité qualifiée peut y être adressée.",
                    _where(e),
                )
                for e in to_patients
            ]
        return [
            passed("MSS-21", f"Identité au statut « {status} » : aucun message vers la messagerie Mon espace santé.")
        ]
    expected = f"{ins}@{PATIENT_DOMAIN}".lower()
    ok = [
        e
        for e in to_patients
        if expected in [r.lower() for r in e.data["rcpt_to"]] and e.response and e.response.status == 250
    ]
    if not ok:
        return [failed("MSS-21", f"Identité qualifiée : aucun message accepté pour {expected}.")]
    return [passed("MSS-21", f"Message adressé à {expected} pour une identité qualifiée.", _where(ok[0]))]


def incoming_dlu(
    ins: str, oid: str = "1.2.250.1.213.1.4.10", readable: bool = True, mailbox: str = DUI_MAILBOX
) -> EmailMessage:
    """A hospital's DLU for the resident with this INS, as the DUI's mailbox receives it."""
    cda = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
    cda = cda.replace(
        b'root="1.2.250.1.213.1.4.10" extension="248055145412365"', f'root="{oid}" extension="{ins}"'.encode()
    )
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = HOSPITAL
    msg["To"] = mailbox
    msg["Subject"] = "XDM/1.0/DDM+Dossier de liaison d'urgence (retour, fictif)"
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain="ch-fictif.mssante.fr")
    msg["X-MSS-CODECDA"] = "74207-2"
    msg["X-MSS-INS"] = "O"
    msg["Disposition-Notification-To"] = HOSPITAL
    msg.set_content("Document de liaison en retour (fictif).\n")
    archive = xdm_package([cda]) if readable else b"PK\x03\x04 archive tronquee"
    msg.add_attachment(archive, maintype="application", subtype="zip", filename="IHE_XDM.ZIP")
    return msg


def document_id(message: EmailMessage) -> str | None:
    """ClinicalDocument/id/@root of the (first) CDA a message carries."""
    for cda in mss_members(message.as_bytes()).values():
        return (
            parse_xml(cda, "DOC0001.XML").root.xpath(
                "string(/*[local-name()='ClinicalDocument']/*[local-name()='id']/@root)"
            )
            or None
        )
    return None


def _mdn_for(mailbox: list[bytes], message_id: str):
    for data in mailbox:
        try:
            msg = parse_message(data)
        except Exception:  # noqa: BLE001 - a broken reply is not an acknowledgement
            continue
        if is_mdn(msg) and message_id in data.decode("utf-8", "replace"):
            return data, msg
    return None, None


def is_error_mdn(data: bytes) -> bool:
    """The acknowledgement's disposition is ``processed/Error`` (folded header lines unfolded)."""
    return "processed/error" in data.decode("utf-8", "replace").lower().replace("\r\n ", " ")


def _acknowledgement(sender_mailbox: list[bytes], message_id: str) -> tuple[bytes | None, list[Finding]]:
    """The DUI's MDN for ``message_id`` in the sender's mailbox (None: none), and the MSS-22 failures of its
    checks MSS-08…10."""
    data, mdn = _mdn_for(sender_mailbox, message_id)
    if data is None:
        return None, []
    where = Location(file="accusé MDN")
    bad = [
        f
        for f in check_mdn(mdn, where, message_id) + check_message_data(data, "accusé MDN")
        if f.outcome.value == "fail"
    ]
    return data, [failed("MSS-22", f"Accusé renvoyé non conforme ({f.requirement}) : {f.message}") for f in bad]


def _no_acknowledgement(message_id: str) -> Finding:
    return failed("MSS-22", f"Aucun accusé de traitement renvoyé à l'expéditeur pour {message_id}.")


@decides("MSS-22")
def check_received(
    documents: list[dict], unique_id: str | None, sender_mailbox: list[bytes], message_id: str, readable: bool
) -> list[Finding]:
    """MSS-22: a readable DLU is filed into the resident's record and acknowledged ``processed``; an
    unreadable one gets ``processed/Error``. The MDN itself must pass MSS-08…10."""
    out = []
    if readable and not any(d.get("uniqueId") == unique_id for d in documents):
        out.append(failed("MSS-22", f"Document {unique_id} reçu par MSSanté absent du dossier du résident."))
    data, bad = _acknowledgement(sender_mailbox, message_id)
    if data is None:
        return out + [_no_acknowledgement(message_id)]
    out += bad
    error = is_error_mdn(data)
    if readable and error:
        out.append(failed("MSS-22", "Accusé d'erreur pour un document lisible adressé à un résident connu."))
    if not readable and not error:
        out.append(failed("MSS-22", "Accusé processed sans erreur pour un message à l'archive illisible."))
    return out or [
        passed(
            "MSS-22",
            "Document rangé dans le dossier du résident et accusé conforme renvoyé."
            if readable
            else "Message illisible : accusé processed/Error renvoyé à l'expéditeur.",
        )
    ]


@decides("MSS-22")
def check_unknown_patient(
    documents: list[dict],
    worklist: list[dict] | None,
    unique_id: str | None,
    sender_mailbox: list[bytes],
    message_id: str,
) -> list[Finding]:
    """MSS-22: a DLU whose INS matches no resident is filed into no record (``documents``: the records of the
    scenario's residents). Either it waits in the DUI's worklist of documents to match (``worklist``, None when
    the DUI keeps none), its acknowledgement then optional, or the sender gets ``processed/Error``."""
    out = []
    if any(d.get("uniqueId") == unique_id for d in documents):
        out.append(
            failed(
                "MSS-22",
                f"Document {unique_id}, dont l'INS ne correspond à aucun résident, rangé dans le dossier d'un "
                "autre résident. Attendu : aucun dossier (liste de travail, ou accusé processed/Error).",
            )
        )
    data, bad = _acknowledgement(sender_mailbox, message_id)
    out += bad
    if any(d.get("uniqueId") == unique_id for d in worklist or []):
        return out or [
            passed("MSS-22", f"Document {unique_id} d'un patient inconnu : dans la liste de travail, hors dossier.")
        ]
    if data is None:
        return out + [_no_acknowledgement(message_id)]
    if not is_error_mdn(data):
        out.append(
            failed(
                "MSS-22",
                f"Document {unique_id} d'un patient inconnu accusé processed sans erreur, hors de toute liste de "
                "travail. Attendu : accusé processed/Error (patient inconnu) ou document à rapprocher.",
            )
        )
    return out or [
        passed(
            "MSS-22", f"Document {unique_id} d'un patient inconnu : rangé dans aucun dossier, accusé processed/Error."
        )
    ]


@decides("MSS-23")
def check_error_shown(error_reported: bool, sendings: list[dict], sending_id: str | None) -> list[Finding]:
    """MSS-23: after a 5xx or an error MDN, the user sees the error and the message is kept for a resend."""
    sending = next((s for s in sendings if s.get("id") == sending_id), None)
    if sending is None:
        return [
            failed(
                "MSS-23",
                f"Message {sending_id or '(sans identifiant)'} absent des envois du résident : "
                "il n'est pas gardé pour un nouvel envoi.",
            )
        ]
    if sending.get("statut") != TO_RESEND or not sending.get("erreur"):
        return [
            failed(
                "MSS-23",
                f"Envoi au statut « {sending.get('statut')} », erreur « {sending.get('erreur')} » : "
                f"attendu « {TO_RESEND} » avec l'erreur montrée à l'utilisateur.",
            )
        ]
    return [
        passed(
            "MSS-23",
            f"Erreur montrée ({sending['erreur'][:120]}) et message gardé pour un nouvel envoi"
            + (" ; l'appel a signalé l'erreur." if error_reported else "."),
        )
    ]
