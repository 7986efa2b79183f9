"""Live MSSanté checks (MSS-20…23, vague 2: MSS-32…40): what the DUI sent through the operator mock, what it
answered to the messages the harness put in its mailbox, what it shows the user after a refusal or a delivery
status notification, and how it filed the documents it received.

Messages the harness sends to the DUI are built here: a DLU for a resident (its INS and traits in the CDA,
inside an IHE_XDM.ZIP), a DLU for a patient who is no resident, a newer version of a DLU, or a message whose
archive is unreadable.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib.resources import files

from lxml import etree

from ..decides import decides
from ..exchanges import Exchange
from ..ins.identity import Identity
from ..model import Finding, Location, Outcome, failed, passed
from ..mss import MssRules, check_message_data, check_vague2_data, is_mdn, mss_members, parse_message
from ..mss.mdn import check_mdn
from ..mss.message import valid_address
from ..mss.submission import is_acknowledgement, is_submission, message_findings
from ..mss.vague2 import MES_END
from ..requirements.catalogue import grade
from ..wording import found
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
    others = sorted(
        {r.lower() for e in to_patients for r in e.data["rcpt_to"] if r.lower().endswith("@" + PATIENT_DOMAIN)}
        - {expected}
    )
    if others:
        return [
            failed(
                "MSS-21",
                f"Message envoyé à la messagerie Mon espace santé {found(', '.join(others))} ; attendu la seule "
                f"adresse bâtie sur le matricule INS qualifié : {expected} (SC.MSS.14).",
            )
        ]
    ok = [
        e
        for e in to_patients
        if expected in [r.lower() for r in e.data["rcpt_to"]] and e.response and e.response.status == 250
    ]
    if not ok:
        return [failed("MSS-21", f"Identité qualifiée : aucun message accepté pour {expected}.")]
    return [passed("MSS-21", f"Message adressé à {expected} pour une identité qualifiée.", _where(ok[0]))]


HL7 = "urn:hl7-org:v3"


def _set(root: etree._Element, path: str, attribute: str | None, value: str | None) -> None:
    """Write ``value`` into each node at ``path`` (its text, or ``attribute``); None: leave it."""
    if value is None:
        return
    for node in root.xpath(path, namespaces={"h": HL7}):
        if attribute:
            node.set(attribute, value)
        else:
            node.text = value


def dlu_cda(ins: str, oid: str, traits: Identity | None = None, replaces: str | None = None) -> bytes:
    """The fixture DLU for this INS; with ``traits``, the patient's traits too (birth name, first names, birth date,
    sex); with ``replaces``, a new version of that uniqueId (new id, versionNumber 2, relatedDocument RPLC)."""
    cda = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
    cda = cda.replace(
        b'root="1.2.250.1.213.1.4.10" extension="248055145412365"', f'root="{oid}" extension="{ins}"'.encode()
    )
    if traits is None and replaces is None:
        return cda
    root = parse_xml(cda, "DOC0001.XML").root
    patient = "/h:ClinicalDocument/h:recordTarget/h:patientRole/h:patient"
    if traits is not None:
        _set(root, f"{patient}/h:name/h:family[@qualifier='BR']", None, traits.birth_family)
        _set(root, f"{patient}/h:name/h:given[not(@qualifier)]", None, traits.given_list)
        _set(root, f"{patient}/h:name/h:given[@qualifier='BR']", None, traits.first_given)
        _set(root, f"{patient}/h:birthTime", "value", (traits.birth_date or "").replace("-", "") or None)
        _set(root, f"{patient}/h:administrativeGenderCode", "code", traits.sex)
    if replaces is not None:
        _set(root, "/h:ClinicalDocument/h:id", "root", f"2.25.{uuid.uuid4().int}")
        _set(root, "/h:ClinicalDocument/h:versionNumber", "value", "2")
        related = etree.Element(f"{{{HL7}}}relatedDocument", typeCode="RPLC")
        etree.SubElement(etree.SubElement(related, f"{{{HL7}}}parentDocument"), f"{{{HL7}}}id", root=replaces)
        anchor = root.xpath(
            "/h:ClinicalDocument/h:componentOf | /h:ClinicalDocument/h:component", namespaces={"h": HL7}
        )
        anchor[0].addprevious(related)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def incoming_dlu(
    ins: str,
    oid: str = "1.2.250.1.213.1.4.10",
    readable: bool = True,
    mailbox: str = DUI_MAILBOX,
    traits: Identity | None = None,
    replaces: str | None = None,
) -> EmailMessage:
    """A hospital's DLU for the resident with this INS (and ``traits``; a new version of ``replaces``), as the DUI's
    mailbox receives it."""
    cda = dlu_cda(ins, oid, traits, replaces)
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


# --- vague 2 -----------------------------------------------------------------------------------------------------


def dui_messages(exchanges: list[Exchange]) -> list[Exchange]:
    """The messages the DUI submitted (SMTP DATA), its acknowledgements included."""
    return [e for e in exchanges if is_submission(e) and e.operation == "envoi"]


def _at(findings: list[Finding], exchange: Exchange) -> list[Finding]:
    return [replace(f, location=Location(exchange=exchange.id)) for f in findings]


def _no_message(requirement: str) -> Finding:
    return failed(requirement, "Aucun message du DUI n'a atteint l'opérateur MSSanté pendant le scénario.")


@decides("MSS-32", "MSS-36", "MSS-38", "MSS-41")
def check_sent_vague2(exchanges: list[Exchange], ids: list[str], rules: MssRules) -> list[Finding]:
    """The vague 2 rules ``ids`` on every message the DUI sent (its acknowledgements too: « chaque message »), and
    for MSS-32 no Message-ID shared by two of them."""
    sent = dui_messages(exchanges)
    if not sent:
        return [_no_message(r) for r in ids]
    out = []
    for exchange in sent:
        found_here = check_vague2_data(exchange.request.content(), exchange.id, rules)
        out += _at([f for f in found_here if f.requirement in ids], exchange)
    if "MSS-32" in ids:
        counts = Counter(str(e.data.get("message_id") or "").strip() for e in sent)
        shared = sorted(i for i, n in counts.items() if n > 1 and i)
        out.append(
            failed(
                "MSS-32",
                f"Message-ID {found(', '.join(shared))} porté par plusieurs messages ; attendu un "
                "identifiant unique par message (SC.MSS.10/11).",
            )
            if shared
            else passed("MSS-32", f"{len(sent)} message(s) du DUI, chacun avec son propre Message-ID.")
        )
    return out


@decides("MSS-37")
def check_reply_blocked(exchanges: list[Exchange], rules: MssRules) -> list[Finding]:
    """MSS-37: the message the user sent to Mon espace santé, replies blocked, carries X-MSS-MES: FIN (the address
    itself is MSS-21's)."""
    sent = [
        e
        for e in dui_messages(exchanges)
        if any(r.lower().endswith("@" + rules.patient_domain) for r in e.data.get("rcpt_to", []))
    ]
    if not sent:
        return [failed("MSS-37", "Aucun message du DUI pour Mon espace santé : réponse bloquée non vérifiable.")]
    out = []
    for exchange in sent:
        found_here = [
            f for f in check_vague2_data(exchange.request.content(), exchange.id, rules) if f.requirement == "MSS-37"
        ]
        if all(f.outcome is Outcome.OMIT for f in found_here):
            found_here = [
                failed(
                    "MSS-37",
                    f"Réponse du patient bloquée par l'utilisateur, mais aucun en-tête X-MSS-MES ; "
                    f"attendu « X-MSS-MES: {MES_END} » (SC.MSS/CONF.21).",
                )
            ]
        out += _at(found_here, exchange)
    return out


@decides("MSS-33")
def check_reply(exchanges: list[Exchange], original_id: str) -> list[Finding]:
    """MSS-33: the DUI's reply to the received message names it in In-Reply-To and ends References with it."""
    replies = [e for e in dui_messages(exchanges) if not is_acknowledgement(e)]
    if not replies:
        return [failed("MSS-33", f"Aucune réponse du DUI au message {original_id} n'a atteint l'opérateur.")]
    out = []
    for exchange in replies:
        parent = (exchange.request.headers.get("In-Reply-To") or "").strip()
        thread = (exchange.request.headers.get("References") or "").strip()
        judged = check_vague2_data(exchange.request.content(), exchange.id)
        consistent = all(f.outcome is Outcome.PASS for f in judged if f.requirement == "MSS-33")
        where = Location(exchange=exchange.id)
        out.append(
            passed("MSS-33", f"Réponse à {original_id} : In-Reply-To et References conformes.", where)
            if parent == original_id and consistent
            else failed(
                "MSS-33",
                f"Réponse avec In-Reply-To {found(parent or None)} et References {found(thread[:160] or None)} ; "
                f"attendu In-Reply-To {original_id}, le Message-ID du message reçu, et References terminé par lui "
                "(RFC 5322 §3.6.4).",
                where,
            )
        )
    return out


@decides("MSS-34")
def check_delivery_requested(exchanges: list[Exchange], rules: MssRules) -> list[Finding]:
    """MSS-34: each message the DUI sends (not its acknowledgements) asks for a delivery status notification with
    one MSSanté address in ``Return-Receipt-To`` (SC.MSS.16)."""
    sent = [e for e in dui_messages(exchanges) if not is_acknowledgement(e)]
    if not sent:
        return [_no_message("MSS-34")]
    out = []
    for exchange in sent:
        value = next((v for k, v in exchange.request.headers.items() if k.lower() == rules.dsn_request.lower()), None)
        addresses = [a.strip() for a in (value or "").split(",") if a.strip()]
        ok = len(addresses) == 1 and valid_address(addresses[0].strip("<>")) and rules.is_mss(addresses[0])
        out.append(
            passed("MSS-34", f"Accusé de distribution demandé à {addresses[0]}.", Location(exchange=exchange.id))
            if ok
            else failed(
                "MSS-34",
                f"{rules.dsn_request} {found(value)} ; attendu l'adresse MSSanté unique où renvoyer l'accusé de "
                "distribution (DSN, SC.MSS.16).",
                Location(exchange=exchange.id),
            )
        )
    return out


def requested_delivery(exchanges: list[Exchange], rules: MssRules) -> bool:
    """Some message of the DUI asked for a delivery status notification (the operator sends a success DSN only then)."""
    return any(
        any(k.lower() == rules.dsn_request.lower() for k in e.request.headers)
        for e in dui_messages(exchanges)
        if not is_acknowledgement(e)
    )


DELIVERED, UNDELIVERED = "distribue", "non-distribue"


@decides("MSS-35")
def check_delivery_shown(sendings: list[dict], sending_id: str | None, delivered: bool, reason: str) -> list[Finding]:
    """MSS-35: the DUI reconciles the operator's DSN with the message it sent: ``distribution`` delivered, or not
    delivered with the reason (``reason``: the DSN's status code) shown in ``erreur`` (SC.MSS/UX.30, UX.35)."""
    sending = next((s for s in sendings if s.get("id") == sending_id), None)
    expected = DELIVERED if delivered else UNDELIVERED
    if sending is None:
        return [failed("MSS-35", f"Message {found(sending_id)} absent des envois du résident.")]
    if sending.get("distribution") != expected:
        return [
            failed(
                "MSS-35",
                f"Envoi {sending_id} : distribution {found(sending.get('distribution'))} après l'accusé de "
                f"distribution de l'opérateur ; attendu « {expected} » (DSN rapprochée du message envoyé).",
            )
        ]
    if not delivered and reason not in (sending.get("erreur") or ""):
        return [
            failed(
                "MSS-35",
                f"Envoi {sending_id} non distribué, erreur montrée {found(sending.get('erreur'))} ; attendu la raison "
                f"donnée par l'accusé de distribution ({reason}).",
            )
        ]
    return [
        passed(
            "MSS-35",
            f"Accusé de distribution rapproché : {expected}"
            + ("." if delivered else f", raison montrée ({sending['erreur'][:120]})."),
        )
    ]


@decides("MSS-39")
def check_held_for_matching(documents: list[dict], worklist: list[dict] | None, unique_id: str | None) -> list[Finding]:
    """MSS-39: a document whose INS matricule is the resident's but whose traits are not is filed automatically
    nowhere: it waits in the DUI's worklist (SC.MSS/UX.07–12)."""
    if any(d.get("uniqueId") == unique_id for d in documents):
        return [
            failed(
                "MSS-39",
                f"Document {unique_id} rangé automatiquement dans le dossier du résident alors que seuls les "
                "matricules INS concordent, pas les traits ; attendu : liste de travail (rapprochement strict "
                "matricule + traits).",
            )
        ]
    if worklist is None:
        return [
            failed(
                "MSS-39",
                "Le DUI ne tient pas de liste de travail (GET /mssante/a-rapprocher : 404) ; "
                f"attendu le document {unique_id} en attente de rapprochement.",
            )
        ]
    if not any(d.get("uniqueId") == unique_id for d in worklist):
        return [failed("MSS-39", f"Document {unique_id} ni dans le dossier ni dans la liste de travail du DUI.")]
    return [passed("MSS-39", f"Document {unique_id} aux traits discordants : en liste de travail, hors dossier.")]


@decides("MSS-40")
def check_filed_once(documents: list[dict], first: str | None, newer: str | None) -> list[Finding]:
    """MSS-40: the same document received twice is filed once; its newer version is filed and the older one, when
    still listed, says it is replaced (``remplacePar``), SC.CDA/MSS.01–03."""
    out = []
    copies = [d for d in documents if d.get("uniqueId") == first]
    if len(copies) != 1:
        out.append(
            failed("MSS-40", f"Document {first} reçu deux fois : {len(copies)} fois dans le dossier ; attendu une.")
        )
    if not any(d.get("uniqueId") == newer for d in documents):
        out.append(failed("MSS-40", f"Nouvelle version {newer} (RPLC de {first}) absente du dossier du résident."))
    elif any(d.get("remplacePar") != newer for d in copies):
        out.append(
            failed(
                "MSS-40",
                f"Document {first} toujours présenté comme en vigueur (remplacePar "
                f"{found(copies[0].get('remplacePar'))}) ; attendu remplacePar « {newer} », sa nouvelle version.",
            )
        )
    return out or [passed("MSS-40", f"Document {first} rangé une fois ; nouvelle version {newer} reconnue.")]
