"""The reference DUI's MSSanté part. Its client (:class:`MssClient`): the applicative mailbox (BAL APP),
opened with the DUI's certificate and PLAIN (SC.MSS/CONF.12) over SMTPS and IMAPS, sends a DLU in an IHE_XDM.ZIP
and reads what arrives (documents to integrate, acknowledgements of what it sent); a professional's mailbox opens
over STARTTLS with SASL XOAUTH2 and their Pro Santé Connect access token (SC.MSS/CONF.07, :mod:`.mss_sessions`).
Only the API LPS's TLS 1.2 suites are offered (SC.MSS/CONF.03). Its adapter operations (:class:`MssAdapter`),
composed into the DUI."""

from __future__ import annotations

import base64
import imaplib
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from lxml import etree
from werkzeug.wrappers import Response

from dui_conformance.ins.cda_record import read_cda
from dui_conformance.ins.identity import Identity
from dui_conformance.live.mss_auth import api_lps
from dui_conformance.mss import MimeProblem, is_dsn, is_mdn, mss_members, parse_message
from dui_conformance.mss.mdn import KO_SUBJECT
from dui_conformance.mss.vague2 import DSN_REQUEST, MES_END
from dui_conformance.xds.build import xdm_package
from dui_conformance.xmlsafe import XmlProblem, parse_xml

from ..mss import DEFAULT_PASSWORD
from ..mss.mdn import build_mdn
from .dmp import SOURCE_ID, new_document
from .records import Records
from .resident import Resident
from .web import BadRequest, json_response, problem, text_field, unknown_resident
from .xds_metadata import derive, submission

MAILBOX = "dui@ehpad-les-tilleuls.mssante.fr"
PATIENT_DOMAIN = "patient.mssante.fr"
NIL = "DEV000001"  # the reference DUI's (fictitious) Ségur referencing number, in X-MSS-NIL (vague 2)
# statuses of a message the DUI sent; what its delivery status notification said
SENT, TO_RESEND, ACKNOWLEDGED = "envoye", "a-renvoyer", "accuse-traite"
DELIVERED, UNDELIVERED = "distribue", "non-distribue"


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
    delivery: str | None = None  # DELIVERED / UNDELIVERED once a DSN came back

    def summary(self) -> dict:
        return {
            "id": self.id,
            "destinataire": self.recipient,
            "statut": self.status,
            "erreur": self.error,
            "messageId": self.message_id,
            "distribution": self.delivery,
        }


def _hostport(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 0


def _reply(text: bytes | str) -> str:
    """An SMTP server's reply text (smtplib gives bytes, or a text it made itself)."""
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def _metadata(cda: bytes) -> etree._Element:
    """METADATA.XML from this DUI's own CDA → XDS mapping (as for the DMP), the document as DOC0001.XML."""
    return submission(derive(parse_xml(cda, "DOC0001.XML"), cda), "Document01", SOURCE_ID, uri="DOC0001.XML")


def sasl_initial(mechanism: str, mailbox: str, secret: str) -> bytes:
    """The SASL initial response: PLAIN (RFC 4616: no authorisation identity, the mailbox, its password) or XOAUTH2
    (``user`` = the mailbox, the bearer token, SC.MSS/CONF.07)."""
    if mechanism == "XOAUTH2":
        return f"user={mailbox}\x01auth=Bearer {secret}\x01\x01".encode()
    return f"\x00{mailbox}\x00{secret}".encode()


class MssClient:
    """``urls``: the operator's smtps://, smtp://, imaps:// and imap://; ``tls``: the test PKI's files
    (TestPki.files()). The applicative mailbox's sessions present the DUI's certificate; a professional's do not."""

    def __init__(self, urls: dict[str, str], tls: dict[str, str], defects: frozenset[str], timeout: float = 10.0):
        self.urls, self.defects, self.timeout = urls, defects, timeout
        self.context = self._context(tls, "mss-bal-applicative-sans-certificat" not in defects)
        self.user_context = self._context(tls, False)
        self.password = DEFAULT_PASSWORD  # the applicative mailbox's, as the operator configured it

    def _context(self, tls: dict[str, str], with_certificate: bool) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=tls["racine"])
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if "mss-suites-tls-hors-liste" not in self.defects:  # defect: the TLS library's default suites
            context.set_ciphers(api_lps().client_ciphers())
        if with_certificate:
            context.load_cert_chain(tls["certificat_client"], tls["cle_client"])
        return context

    def smtp_session(self, mailbox: str, mechanism: str, secret: str) -> smtplib.SMTP:
        """An authenticated SMTP session: the applicative mailbox over SMTPS, a professional's after STARTTLS;
        :class:`MssUnavailable` when the operator refuses it."""
        client: smtplib.SMTP | None = None
        try:
            if mailbox == MAILBOX:
                client = smtplib.SMTP_SSL(*_hostport(self.urls["smtps"]), context=self.context, timeout=self.timeout)
            else:
                client = smtplib.SMTP(*_hostport(self.urls["smtp"]), timeout=self.timeout)
                client.starttls(context=self.user_context)
            client.ehlo()
            initial = base64.b64encode(sasl_initial(mechanism, mailbox, secret)).decode()
            code, reply = client.docmd("AUTH", f"{mechanism} {initial}")
            if code != 235:
                raise MssUnavailable(f"Authentification MSSanté refusée ({code} {_reply(reply)}).")
            return client
        except (OSError, smtplib.SMTPException, MssUnavailable) as exc:
            if client is not None:
                client.close()
            if isinstance(exc, MssUnavailable):
                raise
            raise MssUnavailable(f"Opérateur MSSanté injoignable : {exc}.") from None

    def imap_session(self, mailbox: str, mechanism: str, secret: str) -> imaplib.IMAP4:
        """An authenticated IMAP session, INBOX selected (applicative mailbox over IMAPS, else STARTTLS)."""
        imap: imaplib.IMAP4 | None = None
        try:
            if mailbox == MAILBOX:
                imap = imaplib.IMAP4_SSL(*_hostport(self.urls["imaps"]), ssl_context=self.context, timeout=self.timeout)
            else:
                imap = imaplib.IMAP4(*_hostport(self.urls["imap"]), timeout=self.timeout)
                imap.starttls(ssl_context=self.user_context)
            imap.authenticate(mechanism, lambda _: sasl_initial(mechanism, mailbox, secret))
            imap.select("INBOX")
            return imap
        except (OSError, imaplib.IMAP4.error) as exc:
            if imap is not None:
                imap.shutdown()
            raise MssUnavailable(f"Session IMAP MSSanté impossible : {exc}.") from None

    def _headed(self, recipient: str, subject: str) -> EmailMessage:
        """A new message from the DUI's mailbox: its own Message-ID, X-MSS-NIL and a delivery receipt requested
        (vague 2: SC.MSS.10, SC.MSS/CONF.16, SC.MSS.16)."""
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"] = MAILBOX
        msg["To"] = recipient
        msg["Subject"] = subject
        msg["Date"] = format_datetime(datetime.now().astimezone())
        fixed = "mss-message-id-fixe" in self.defects
        msg["Message-ID"] = "<dlu@ehpad-les-tilleuls.mssante.fr>" if fixed else make_msgid(domain=MAILBOX.split("@")[1])
        if "mss-sans-nil" not in self.defects:
            msg["X-MSS-NIL"] = NIL
        if "mss-sans-demande-distribution" not in self.defects:
            msg[DSN_REQUEST] = MAILBOX
        return msg

    def message(
        self, recipient: str, subject: str, cda: bytes, code: str, has_ins: bool, block_reply: bool = False
    ) -> EmailMessage:
        """A DLU message: text rendering, IHE_XDM.ZIP, MSSanté headers, acknowledgement requested; ``block_reply``:
        the patient may not answer (X-MSS-MES: FIN)."""
        msg = self._headed(recipient, f"XDM/1.0/DDM+{subject}")
        msg["X-MSS-CODECDA"] = code
        if has_ins:
            msg["X-MSS-INS"] = "O"
        if block_reply and "mss-reponse-patient-non-bloquee" not in self.defects:
            msg["X-MSS-MES"] = MES_END
        if "mss-sans-demande-accuse" not in self.defects:
            msg["Disposition-Notification-To"] = MAILBOX
        msg.set_content(f"Veuillez trouver ci-joint : {subject} (document fictif de test).\n")
        msg.add_attachment(
            xdm_package([cda], metadata=_metadata(cda)), maintype="application", subtype="zip", filename="IHE_XDM.ZIP"
        )
        return msg

    def reply(self, original: dict, text: str) -> EmailMessage:
        """A reply to a received message (``original``: its From, Subject, Message-ID, References): In-Reply-To
        its Message-ID, References its thread then it (RFC 5322 §3.6.4)."""
        msg = self._headed(original["from"], f"Re: {original['subject']}")
        if "mss-reponse-sans-references" not in self.defects:
            msg["In-Reply-To"] = original["message_id"]
            msg["References"] = " ".join([*original["references"], original["message_id"]])
        msg["Disposition-Notification-To"] = MAILBOX
        msg.set_content(text + "\n")
        return msg

    def send(self, msg: EmailMessage) -> None:
        """Submit; raises :class:`MssUnavailable` with the operator's answer on a refusal (5xx) or a failure."""
        try:
            with self.smtp_session(MAILBOX, "PLAIN", self.password) as client:
                client.send_message(msg, MAILBOX, [str(msg["To"])])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise MssUnavailable(f"Destinataire refusé par l'opérateur MSSanté : {code} {_reply(reply)}.") from None
        except smtplib.SMTPResponseException as exc:
            raise MssUnavailable(
                f"Message refusé par l'opérateur MSSanté : {exc.smtp_code} {_reply(exc.smtp_error)}."
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MssUnavailable(f"Opérateur MSSanté injoignable : {exc}.") from None

    def fetch(self) -> list[bytes]:
        """Every message of the INBOX, removed once read."""
        try:
            with self.imap_session(MAILBOX, "PLAIN", self.password) as imap:
                _, found = imap.search(None, "ALL")
                out = []
                for number in (found[0] or b"").decode("ascii").split():
                    _, data = imap.fetch(number, "(RFC822)")
                    fetched = data[0]  # (its envelope, the message)
                    if not isinstance(fetched, tuple):
                        raise imaplib.IMAP4.error(f"message {number} absent de la réponse FETCH")
                    out.append(fetched[1])
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
        if "mss-sans-nil" not in self.defects:
            mdn["X-MSS-NIL"] = NIL
        self.send(mdn)


def _disposition(msg) -> tuple[str | None, str]:
    """(Original-Message-ID, Disposition) of an MDN."""
    parts = msg.message.get_payload()
    report = next((p for p in parts if p.get_content_type() == "message/disposition-notification"), None)
    inner = report.get_payload()[0] if report is not None and isinstance(report.get_payload(), list) else None
    if inner is None:
        return None, ""
    return (str(inner.get("Original-Message-ID", "")).strip() or None), str(inner.get("Disposition", ""))


def _cda_summary(cda: bytes) -> tuple[Identity | None, dict] | None:
    """(the patient's identity, what the DUI files) of a received CDA, or None when unreadable. What it files names
    the document (uniqueId) and its version (setId, versionNumber, the uniqueId it replaces: relatedDocument RPLC)."""
    try:
        xml = parse_xml(cda, "DOC.XML")
    except XmlProblem:
        return None
    identities = read_cda(xml)

    def text(path: str) -> str | None:
        return xml.root.xpath(f"string(/hl7:ClinicalDocument/{path})", namespaces={"hl7": "urn:hl7-org:v3"}) or None

    summary = {
        "uniqueId": text("hl7:id/@root"),
        "typeCode": text("hl7:code/@code"),
        "title": text("hl7:title"),
        "source": "MSSanté",
        "setId": text("hl7:setId/@root"),
        "version": text("hl7:versionNumber/@value"),
        "remplace": text("hl7:relatedDocument[@typeCode='RPLC']/hl7:parentDocument/hl7:id/@root"),
    }
    return (identities[0] if identities else None), summary


def _version(value: str | None) -> int:
    """A versionNumber as a number (0 when absent or not a number)."""
    return int(value) if value and value.isdigit() else 0


def same_person(identity: Identity, resident: Resident) -> bool:
    """The CDA's patient is this resident: INS matricule and traits (birth name, first birth first name, birth date,
    sex), the strict match SC.MSS/UX.07–12 ask before filing a document automatically."""
    return (
        identity.matricule == resident.ins
        and (identity.birth_family or "").upper() == resident.birth_name.upper()
        and (identity.first_given or "").upper() == resident.first_name.upper()
        and identity.birth_date == resident.birth_date
        and identity.sex == resident.sex
    )


UNREADABLE = ("XDM_ILLISIBLE", "Archive IHE_XDM.ZIP absente ou illisible")


class MssAdapter:
    """The adapter's MSSanté operations: send a DLU to a mailbox, list what was sent, fetch the mailbox and
    integrate what arrives. Composed into the reference DUI with its collaborators: the operator's client
    (None: MSSanté not configured), the DUI's records (residents, received documents, numbering), its defects."""

    def __init__(self, client: MssClient | None, records: Records, defects: frozenset[str]):
        self.client, self._records, self._defects = client, records, defects
        self._sendings: dict[str, Sending] = {}
        self._worklist: list[dict] = []  # documents received for nobody matched strictly: identity to check by hand
        self._received: dict[str, dict] = {}  # messages received, by Message-ID: what a reply needs of them
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._sendings.clear()
            self._worklist.clear()
            self._received.clear()

    def send(self, rid: str, body: dict) -> Response:
        """``POST /residents/{id}/mssante/envois``: to ``destinataire``, or to the resident's Mon espace santé
        mailbox (``messagerieCitoyenne``, qualified INS only)."""
        resident = self._records.get(rid)
        if resident is None:
            return unknown_resident(rid)
        if self.client is None:
            return problem(503, "MSSanté non configurée", "Le DUI n'a pas de messagerie MSSanté.")
        if body.get("messagerieCitoyenne") is True:
            qualified = resident.status == "QUAL" or "mss-patient-non-qualifie" in self._defects
            if not (qualified and resident.ins):
                return problem(
                    409,
                    "Identité non qualifiée",
                    f"Identité au statut « {resident.status} » : la messagerie Mon espace santé n'est "
                    "adressée qu'avec un INS qualifié. Rien n'a été envoyé.",
                    service="MSS",
                    resident=rid,
                )
            local = resident.id if "mss-patient-adresse-ipp" in self._defects else resident.ins
            recipient = f"{local}@{PATIENT_DOMAIN}"
        elif "messagerieCitoyenne" in body and body["messagerieCitoyenne"] is not False:
            raise BadRequest("Champ « messagerieCitoyenne » invalide (booléen).")
        else:
            recipient = text_field(body, "destinataire")
        block_reply = body.get("reponsePatientBloquee", False)
        if not isinstance(block_reply, bool):
            raise BadRequest("Champ « reponsePatientBloquee » invalide (booléen).")
        document = new_document(resident, self._records.next_number(), None)
        born = "/".join(reversed(resident.birth_date.split("-")))
        if "mss-objet-date-impossible" in self._defects:
            born = born[:3] + "14" + born[5:]  # defect: JJ/14/AAAA
        subject = f"Dossier de liaison d'urgence {resident.birth_name} {resident.first_name} {born}"
        msg = self.client.message(recipient, subject, document.cda, "74207-2", bool(resident.ins), block_reply)
        return self._submit(self.client, rid, msg)

    def _submit(self, client: MssClient, rid: str, msg: EmailMessage) -> Response:
        """Keep the message (its fate for the user, receipts to reconcile), then hand it to the operator."""
        recipient = str(msg["To"])
        sending = Sending(f"M{self._records.next_number():05d}", rid, recipient, str(msg["Message-ID"]), msg.as_bytes())
        with self._lock:
            self._sendings[sending.id] = sending
        try:
            client.send(msg)
        except MssUnavailable as exc:
            if "mss-erreur-ignoree" in self._defects:
                with self._lock:
                    del self._sendings[sending.id]  # defect: dropped, yet reported as sent
                return json_response(sending.summary(), 201)
            sending.status, sending.error = TO_RESEND, str(exc)
            return problem(
                502,
                "Erreur MSSanté",
                f"{exc} Le message {sending.id} est conservé pour un nouvel envoi.",
                service="MSS",
                resident=rid,
                envoi=sending.summary(),
            )
        return json_response(sending.summary(), 201)

    def reply(self, body: dict) -> Response:
        """``POST /mssante/reponses``: answer the received message ``messageId`` with ``texte``."""
        if self.client is None:
            return problem(503, "MSSanté non configurée", "Le DUI n'a pas de messagerie MSSanté.")
        message_id = text_field(body, "messageId")
        with self._lock:
            original = self._received.get(message_id)
        if original is None:
            return problem(404, "Message inconnu", f"Aucun message reçu ne porte le Message-ID {message_id}.")
        return self._submit(self.client, "", self.client.reply(original, text_field(body, "texte")))

    def pending(self) -> Response:
        """``GET /mssante/a-rapprocher``: received documents waiting for an identity check, in no record."""
        with self._lock:
            return json_response(list(self._worklist))

    def sendings(self, rid: str) -> Response:
        """``GET /residents/{id}/mssante/envois``: the resident's messages and what became of them."""
        if rid not in self._records:
            return unknown_resident(rid)
        with self._lock:
            return json_response([s.summary() for s in self._sendings.values() if s.resident_id == rid])

    def fetch(self) -> Response:
        """``POST /mssante/releve``: every message of the mailbox, integrated (documents) or read (acknowledgements)."""
        if self.client is None:
            return problem(503, "MSSanté non configurée", "Le DUI n'a pas de messagerie MSSanté.")
        try:
            received = self.client.fetch()
        except MssUnavailable as exc:
            return problem(502, "Erreur MSSanté", str(exc), service="MSS")
        integrated: list[dict] = []
        errors: list[str] = []
        for data in received:
            try:
                self._receive(self.client, data, integrated, errors)
            except MssUnavailable as exc:
                errors.append(str(exc))
        return json_response({"recus": len(received), "integres": integrated, "erreurs": errors})

    def _misfiled(self, identity: Identity | None, document: dict) -> str | None:
        """The ``mss-patient-inconnu-autre-dossier`` defect: a document whose INS no resident holds is filed under
        the first resident there is (its id; None without the defect, without any resident, or when a resident
        holds the INS)."""
        if "mss-patient-inconnu-autre-dossier" not in self._defects or self._records.holder(
            identity.matricule if identity else None
        ):
            return None
        target = self._records.other_than("") or None
        if target is not None:
            self._records.file(target, [document])
        return target

    def _resident_for(self, identity: Identity | None) -> Resident | None:
        """The resident a received document is filed to automatically: the holder of its INS matricule, when the
        traits match too (the ``mss-rapprochement-matricule-seul`` defect: by the matricule alone)."""
        holder = self._records.holder(identity.matricule if identity else None)
        if holder is None or identity is None:
            return None
        return holder if "mss-rapprochement-matricule-seul" in self._defects or same_person(identity, holder) else None

    def _file(self, rid: str, document: dict) -> None:
        """File a received document once (SC.CDA/MSS.01–03): a uniqueId already filed is not filed again; a newer
        version (RPLC of a filed uniqueId, or same setId and a higher versionNumber) marks the older replaced."""
        kept = self._records.received(rid)  # the very dicts the records hold: a replaced one is marked in place
        if "mss-doublon-integre" not in self._defects and any(d.get("uniqueId") == document["uniqueId"] for d in kept):
            return
        for older in kept:
            newer = older.get("uniqueId") == document["remplace"] or (
                older.get("setId") is not None
                and older.get("setId") == document["setId"]
                and _version(older.get("version")) < _version(document["version"])
            )
            if newer:
                older["remplacePar"] = document["uniqueId"]
        self._records.file(rid, [document])

    def _delivery(self, msg) -> None:
        """Reconcile a delivery status notification (RFC 3464) with the message it reports on (its returned
        headers' Message-ID): delivered, or not with the reason shown to the user (SC.MSS/UX.30, UX.35)."""
        parts = msg.message.get_payload()
        report = next((p for p in parts if p.get_content_type() == "message/delivery-status"), None)
        returned = next((p for p in parts if p.get_content_type() == "text/rfc822-headers"), None)
        blocks = report.get_payload() if report is not None and isinstance(report.get_payload(), list) else []
        if returned is None or len(blocks) < 2 or "mss-distribution-ignoree" in self._defects:
            return
        original = str(
            BytesParser(policy=policy.default)
            .parsebytes(returned.get_payload(decode=True) or b"")
            .get("Message-ID", "")
        ).strip()
        fields = blocks[1]
        with self._lock:
            sending = next((s for s in self._sendings.values() if s.message_id == original), None)
        if sending is None:
            return
        if str(fields.get("Action", "")).strip().lower() == "failed":
            reason = str(fields.get("Diagnostic-Code", "")).partition(";")[2].strip() or str(fields.get("Status"))
            sending.delivery, sending.status = UNDELIVERED, TO_RESEND
            sending.error = f"Message non distribué à {sending.recipient} : {reason}"
        elif str(fields.get("Action", "")).strip().lower() == "delivered":
            sending.delivery = DELIVERED

    def _remember(self, msg) -> None:
        """What a reply to a received message needs: its sender, subject, Message-ID and thread."""
        message_id = (msg.header("Message-ID") or "").strip()
        if message_id:
            with self._lock:
                self._received[message_id] = {
                    "from": msg.header("From") or "",
                    "subject": msg.header("Subject") or "",
                    "message_id": message_id,
                    "references": (msg.header("References") or "").split(),
                }

    def _receive(self, client: MssClient, data: bytes, integrated: list[dict], errors: list[str]) -> None:
        try:
            msg = parse_message(data)
        except MimeProblem as exc:
            errors.append(exc.message)
            return
        if is_dsn(msg):
            self._delivery(msg)
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
        self._remember(msg)
        documents = list(mss_members(data).values())
        if not documents:
            errors.append(f"{UNREADABLE[1]} ({msg.header('Message-ID')}).")
            if "mss-sans-accuse-erreur" not in self._defects:
                client.acknowledge(data, UNREADABLE)
            return
        error, held = None, False
        for cda in documents:
            read = _cda_summary(cda)
            if read is None:
                error = UNREADABLE
                errors.append(f"{error[1]} ({msg.header('Message-ID')}).")
            elif (resident := self._resident_for(read[0])) is not None:
                self._file(resident.id, read[1])
                integrated.append({"resident": resident.id, **read[1]})
            elif (target := self._misfiled(*read)) is not None:
                integrated.append({"resident": target, **read[1]})
            else:
                with self._lock:
                    self._worklist.append(read[1])
                held = True
        if error or not held:  # a document in the worklist is acknowledged once its identity is checked
            client.acknowledge(data, error)
