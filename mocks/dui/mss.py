"""The reference DUI's MSSanté client: its applicative mailbox (BAL APP), opened with the DUI's
certificate (SASL EXTERNAL) over SMTPS and IMAPS, sends a DLU in an IHE_XDM.ZIP and reads what
arrives (documents to integrate, acknowledgements of what it sent)."""

from __future__ import annotations

import base64
import imaplib
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from lxml import etree

from dui_conformance.ins.cda_record import read_cda
from dui_conformance.mss import MimeProblem, is_mdn, mss_members, parse_message
from dui_conformance.mss.mdn import KO_SUBJECT
from dui_conformance.xds.build import xdm_package
from dui_conformance.xmlsafe import XmlProblem, parse_xml

from ..mss.mdn import build_mdn
from .dmp import SOURCE_ID
from .xds_metadata import derive, submission

MAILBOX = "dui@ehpad-les-tilleuls.mssante.fr"
PATIENT_DOMAIN = "patient.mssante.fr"
# statuses of a message the DUI sent
SENT, TO_RESEND, ACKNOWLEDGED = "envoye", "a-renvoyer", "accuse-traite"


class MssUnavailable(RuntimeError):
    """The operator refused or could not take the message (French message for the user)."""


@dataclass
class Sending:
    id: str
    resident_id: str
    recipient: str
    message_id: str
    data: bytes
    status: str = SENT
    error: str | None = None
    acknowledgements: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "id": self.id,
            "destinataire": self.recipient,
            "statut": self.status,
            "erreur": self.error,
            "messageId": self.message_id,
        }


def _hostport(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 0


def _metadata(cda: bytes) -> etree._Element:
    """METADATA.XML from this DUI's own CDA → XDS mapping (as for the DMP), the document as DOC0001.XML."""
    return submission(derive(parse_xml(cda, "DOC0001.XML"), cda), "Document01", SOURCE_ID, uri="DOC0001.XML")


class MssClient:
    """``urls``: the operator's smtps:// and imaps://; ``tls``: the test PKI's files (TestPki.files())."""

    def __init__(self, urls: dict[str, str], tls: dict[str, str], defects: frozenset[str], timeout: float = 10.0):
        self.urls, self.defects, self.timeout = urls, defects, timeout
        self.context = ssl.create_default_context(cafile=tls["racine"])
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(tls["certificat_client"], tls["cle_client"])

    def message(self, recipient: str, subject: str, cda: bytes, code: str, has_ins: bool) -> EmailMessage:
        """A DLU message: text rendering, IHE_XDM.ZIP, MSSanté headers, acknowledgement requested."""
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"] = MAILBOX
        msg["To"] = recipient
        msg["Subject"] = f"XDM/1.0/DDM+{subject}"
        msg["Date"] = format_datetime(datetime.now().astimezone())
        msg["Message-ID"] = make_msgid(domain="ehpad-les-tilleuls.mssante.fr")
        msg["X-MSS-CODECDA"] = code
        if has_ins:
            msg["X-MSS-INS"] = "O"
        if "mss-sans-demande-accuse" not in self.defects:
            msg["Disposition-Notification-To"] = MAILBOX
        msg.set_content(f"Veuillez trouver ci-joint : {subject} (document fictif de test).\n")
        msg.add_attachment(
            xdm_package([cda], metadata=_metadata(cda)), maintype="application", subtype="zip", filename="IHE_XDM.ZIP"
        )
        return msg

    def _smtp(self) -> smtplib.SMTP_SSL:
        host, port = _hostport(self.urls["smtps"])
        client = smtplib.SMTP_SSL(host, port, context=self.context, timeout=self.timeout)
        client.ehlo()
        code, reply = client.docmd("AUTH", "EXTERNAL " + base64.b64encode(MAILBOX.encode()).decode())
        if code != 235:
            client.close()
            raise MssUnavailable(f"Authentification MSSanté refusée ({code} {reply.decode('utf-8', 'replace')}).")
        return client

    def send(self, msg: EmailMessage) -> None:
        """Submit; raises :class:`MssUnavailable` with the operator's answer on a refusal (5xx) or a failure."""
        try:
            with self._smtp() as client:
                client.send_message(msg, MAILBOX, [str(msg["To"])])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise MssUnavailable(
                f"Destinataire refusé par l'opérateur MSSanté : {code} {reply.decode('utf-8', 'replace')}."
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise MssUnavailable(
                f"Message refusé par l'opérateur MSSanté : {exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}."
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MssUnavailable(f"Opérateur MSSanté injoignable : {exc}.") from None

    def fetch(self) -> list[bytes]:
        """Every message of the INBOX, removed once read."""
        host, port = _hostport(self.urls["imaps"])
        try:
            with imaplib.IMAP4_SSL(host, port, ssl_context=self.context, timeout=self.timeout) as imap:
                imap.authenticate("EXTERNAL", lambda _: MAILBOX.encode())
                imap.select("INBOX")
                _, found = imap.search(None, "ALL")
                out = []
                for number in (found[0] or b"").split():
                    _, data = imap.fetch(number, "(RFC822)")
                    out.append(data[0][1])
                    imap.store(number, "+FLAGS", "\\Deleted")
                imap.expunge()
                return out
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MssUnavailable(f"Relève MSSanté impossible : {exc}.") from None

    def acknowledge(self, original: bytes, error: tuple[str, str] | None) -> None:
        """Answer a received message with a processed (or error) MDN when the sender asked for one."""
        message = BytesParser(policy=policy.default).parsebytes(original)
        if not message.get("Disposition-Notification-To"):
            return
        mdn = BytesParser(policy=policy.SMTP).parsebytes(build_mdn(message, MAILBOX, error))
        self.send(mdn)


def _disposition(msg) -> tuple[str | None, str]:
    """(Original-Message-ID, Disposition) of an MDN."""
    parts = msg.message.get_payload()
    report = next((p for p in parts if p.get_content_type() == "message/disposition-notification"), None)
    inner = report.get_payload()[0] if report is not None and isinstance(report.get_payload(), list) else None
    if inner is None:
        return None, ""
    return (str(inner.get("Original-Message-ID", "")).strip() or None), str(inner.get("Disposition", ""))


def _cda_summary(cda: bytes) -> tuple[str | None, dict] | None:
    """(INS matricule, what the DUI files) of a received CDA, or None when unreadable."""
    try:
        xml = parse_xml(cda, "DOC.XML")
    except XmlProblem:
        return None
    identities = read_cda(xml)
    ns = {"hl7": "urn:hl7-org:v3"}
    summary = {
        "uniqueId": xml.root.xpath("string(/hl7:ClinicalDocument/hl7:id/@root)", namespaces=ns) or None,
        "typeCode": xml.root.xpath("string(/hl7:ClinicalDocument/hl7:code/@code)", namespaces=ns) or None,
        "title": xml.root.xpath("string(/hl7:ClinicalDocument/hl7:title)", namespaces=ns) or None,
        "source": "MSSanté",
    }
    return (identities[0].matricule if identities else None), summary


UNREADABLE = ("XDM_ILLISIBLE", "Archive IHE_XDM.ZIP absente ou illisible")
UNKNOWN_PATIENT = ("INS_INCONNU", "Patient inconnu du DUI destinataire")


class MssAdapter:
    """Adapter operations of the reference DUI for MSSanté (mixed into ReferenceDui, which holds the
    residents, the received documents, the defects and the lock)."""

    mss: MssClient | None
    _sendings: dict[str, Sending]

    def _on_mss_send(self, request, rid: str):
        from .app import BadRequest, _json, _text, problem
        from .dmp import new_document

        body = self._body(request)
        with self._lock:
            resident = self._residents.get(rid)
        if resident is None:
            return problem(404, "Résident inconnu", f"Aucun résident « {rid} » dans le DUI.")
        if self.mss is None:
            return problem(503, "MSSanté non configurée", "Le DUI n'a pas de messagerie MSSanté.")
        if body.get("messagerieCitoyenne") is True:
            qualified = resident.status == "QUAL" or "mss-patient-non-qualifie" in self.defects
            if not (qualified and resident.ins):
                return problem(
                    409,
                    "Identité non qualifiée",
                    f"Identité au statut « {resident.status} » : la messagerie Mon espace santé n'est "
                    "adressée qu'avec un INS qualifié. Rien n'a été envoyé.",
                    service="MSS",
                    resident=rid,
                )
            recipient = f"{resident.ins}@{PATIENT_DOMAIN}"
        elif "messagerieCitoyenne" in body and body["messagerieCitoyenne"] is not False:
            raise BadRequest("Champ « messagerieCitoyenne » invalide (booléen).")
        else:
            recipient = _text(body, "destinataire")
        document = new_document(resident, next(self._doc_numbers), None)
        born = "/".join(reversed(resident.birth_date.split("-")))
        subject = f"Dossier de liaison d'urgence {resident.birth_name} {resident.first_name} {born}"
        msg = self.mss.message(recipient, subject, document.cda, "74207-2", bool(resident.ins))
        sending = Sending(f"M{next(self._doc_numbers):05d}", rid, recipient, str(msg["Message-ID"]), msg.as_bytes())
        with self._lock:
            self._sendings[sending.id] = sending
        try:
            self.mss.send(msg)
        except MssUnavailable as exc:
            if "mss-erreur-ignoree" in self.defects:
                with self._lock:
                    del self._sendings[sending.id]  # defect: dropped, yet reported as sent
                return _json(sending.summary(), 201)
            sending.status, sending.error = TO_RESEND, str(exc)
            return problem(
                502,
                "Erreur MSSanté",
                f"{exc} Le message {sending.id} est conservé pour un nouvel envoi.",
                service="MSS",
                resident=rid,
                envoi=sending.summary(),
            )
        return _json(sending.summary(), 201)

    def _on_mss_sendings(self, request, rid: str):
        from .app import _json, problem

        with self._lock:
            if rid not in self._residents:
                return problem(404, "Résident inconnu", f"Aucun résident « {rid} » dans le DUI.")
            return _json([s.summary() for s in self._sendings.values() if s.resident_id == rid])

    def _on_mss_fetch(self, request):
        from .app import _json, problem

        if self.mss is None:
            return problem(503, "MSSanté non configurée", "Le DUI n'a pas de messagerie MSSanté.")
        try:
            received = self.mss.fetch()
        except MssUnavailable as exc:
            return problem(502, "Erreur MSSanté", str(exc), service="MSS")
        integrated, errors = [], []
        for data in received:
            try:
                self._receive(data, integrated, errors)
            except MssUnavailable as exc:
                errors.append(str(exc))
        return _json({"recus": len(received), "integres": integrated, "erreurs": errors})

    def _receive(self, data: bytes, integrated: list, errors: list) -> None:
        try:
            msg = parse_message(data)
        except MimeProblem as exc:
            errors.append(exc.message)
            return
        if is_mdn(msg):
            original, disposition = _disposition(msg)
            with self._lock:
                sending = next((s for s in self._sendings.values() if s.message_id == original), None)
            if sending is not None:
                if "/error" in disposition.lower():
                    sending.status = TO_RESEND
                    sending.error = f"Accusé d'erreur du destinataire : {disposition.partition(':')[2].strip()}"
                else:
                    sending.status = ACKNOWLEDGED
            return
        subject = msg.header("Subject") or ""
        if subject.startswith(KO_SUBJECT):
            with self._lock:
                reply_to = (msg.header("In-Reply-To") or "").strip()
                sending = next((s for s in self._sendings.values() if s.message_id == reply_to), None)
            if sending is not None:
                sending.status, sending.error = TO_RESEND, f"Échec d'intégration chez le destinataire : {subject}"
            return
        documents = list(mss_members(data).values())
        if not documents:
            errors.append(f"{UNREADABLE[1]} ({msg.header('Message-ID')}).")
            if "mss-sans-accuse-erreur" not in self.defects:
                self.mss.acknowledge(data, UNREADABLE)
            return
        error = None
        for cda in documents:
            read = _cda_summary(cda)
            with self._lock:
                target = next((r.id for r in self._residents.values() if read and read[0] and r.ins == read[0]), None)
                if target is not None:
                    self._received.setdefault(target, []).append(read[1])
                    integrated.append({"resident": target, **read[1]})
            if target is None:
                error = UNREADABLE if read is None else UNKNOWN_PATIENT
                errors.append(f"{error[1]} ({msg.header('Message-ID')}).")
        self.mss.acknowledge(data, error)
