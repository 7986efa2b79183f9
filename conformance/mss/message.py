"""Check an MSSanté message (facts §4.2–4.4): headers, IHE_XDM.ZIP attachment, MDN.

The XDM attachment goes through the existing XDS checks (``xds.check_xdm_data``), and
the CDA documents inside it through the CDA and INS scenarios (see ``mss_members``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from email.utils import collapse_rfc2231_value, getaddresses

from ..decides import decides
from ..ins.cda_record import read_cda
from ..model import Finding, Location, Outcome, failed, omitted, passed, skipped
from ..xds import check_xdm_data, xdm_documents
from ..xmlsafe import XmlProblem, parse_xml
from .mdn import KO_SUBJECT, check_mdn
from .mime import Attachment, MimeMessage, MimeProblem, parse_message

XDM_NAME = "IHE_XDM.ZIP"
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/octet-stream"}
RENDERING_TYPES = {"application/pdf", "text/plain", "text/html"}
_KO_CODE = re.compile(r"\[[^\[\]]+\]\s*")  # after [KO Intégration système !]: [code], then the original subject
_BIRTH_DATE = re.compile(r"(?<!\S)(\d{1,2})/(\d{1,2})/(\d{4})\s*$")  # the convention's last word, JJ/MM/AAAA


@dataclass(frozen=True)
class MssRules:
    """What the public sources leave open (facts §4.2, §4.3: UNVERIFIED), as settings.

    ``domains``: a mailbox is MSSanté when its domain is, or ends with ``.``, one of these.
    ``subject_prefix``: subject of a message carrying an XDM (ANS volet, IHE rule unverified).
    ``ins_values``: accepted X-MSS-INS values (None: any non-empty value; "O" is the one seen).
    ``nil``: the software's referencing number expected in X-MSS-NIL (SC.MSS/CONF.16: assigned at the Ségur
    referencing, so a parameter of the run, ``--nil-mss``; None: any non-empty value).
    ``patient_domain``: Mon espace santé addresses, ``<matricule INS>@`` this domain (ANS samples, facts §7.7).
    ``dsn_request``: the header asking for a delivery status notification (SC.MSS.16 names Return-Receipt-To;
    RFC 3461's SMTP ``NOTIFY=``, the standard way, is not the one the source names).
    """

    domains: tuple[str, ...] = ("mssante.fr",)
    subject_prefix: str = "XDM/1.0/DDM+"
    ins_values: tuple[str, ...] | None = None
    nil: str | None = None
    patient_domain: str = "patient.mssante.fr"
    dsn_request: str = "Return-Receipt-To"

    def is_mss(self, address: str) -> bool:
        domain = address.rpartition("@")[2].strip().lower().rstrip(">")
        return any(domain == d or domain.endswith("." + d) for d in self.domains)


def is_mdn(msg: MimeMessage) -> bool:
    return (
        msg.content_type == "multipart/report"
        and collapse_rfc2231_value(msg.message.get_param("report-type", "")).lower() == "disposition-notification"
    )


def is_dsn(msg: MimeMessage) -> bool:
    """A delivery status notification (RFC 3464): ``multipart/report; report-type=delivery-status``."""
    return (
        msg.content_type == "multipart/report"
        and collapse_rfc2231_value(msg.message.get_param("report-type", "")).lower() == "delivery-status"
    )


def _xdm_attachments(msg: MimeMessage) -> list[Attachment]:
    """The IHE_XDM.ZIP, or any ZIP attached under another name (MSS-02 says so)."""
    return [
        a
        for a in msg.attachments()
        if a.filename.upper() == XDM_NAME or a.filename.upper().endswith(".ZIP") or a.content_type == "application/zip"
    ]


def mss_members(data: bytes) -> dict[str, bytes]:
    """Container view of a message: ``IHE_XDM.ZIP!IHE_XDM/SUBSET01/DOC0001.XML`` → CDA bytes."""
    try:
        msg = parse_message(data)
    except MimeProblem:
        return {}
    if is_mdn(msg):
        return {}  # the original returned inside an acknowledgement is not a document sent
    out = {}
    for number, attachment in enumerate(_xdm_attachments(msg)):
        name = attachment.filename if re.fullmatch(r"[\w.-]+", attachment.filename) else f"piece-jointe-{number}.zip"
        for member, content in xdm_documents(attachment.data).items():
            out[f"{name}!{member}"] = content
    return out


def header_addresses(msg: MimeMessage, *names: str) -> list[str]:
    values = [v for name in names for v in msg.headers(name)]
    return [addr for _, addr in getaddresses(values)]


def valid_address(address: str) -> bool:
    """An addr-spec with a local part and a dotted domain."""
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, TypeError):
        return False
    return bool(parsed.username) and "." in parsed.domain


def _cda_facts(attachments: list[Attachment], source: str) -> tuple[list[str], bool]:
    """Codes of the CDA documents inside the XDM attachments, and whether one carries an INS."""
    codes, has_ins = [], False
    for attachment in attachments:
        for member, content in xdm_documents(attachment.data).items():
            try:
                cda = parse_xml(content, f"{source}!{attachment.filename}!{member}")
            except XmlProblem:
                continue  # GEN-01 on the member says why
            code = cda.root.xpath("string(/hl7:ClinicalDocument/hl7:code/@code)", namespaces={"hl7": "urn:hl7-org:v3"})
            codes.append(code)
            has_ins = has_ins or any(identity.matricule for identity in read_cda(cda))
    return codes, has_ins


@decides("MSS-01")
def check_message_data(
    data: bytes, path: str, environment: str = "test", rules: MssRules = MssRules()
) -> list[Finding]:
    """All offline MSSanté checks on one message (input kind ``mime``)."""
    where = Location(file=path)
    try:
        msg = parse_message(data)
    except MimeProblem as problem:
        return [failed("MSS-01", problem.message, where)]
    out = [failed("MSS-01", problem, where) for problem in msg.problems] or [
        passed("MSS-01", f"Message MIME bien formé ({len(msg.leaves)} partie(s)).", where)
    ]
    out += _check_addresses(msg, where, rules)
    if is_mdn(msg):
        return (
            out
            + check_mdn(msg, where)
            + [
                omitted(req, "Accusé de traitement (MDN) : règle sans objet.", where)
                for req in ("MSS-02", "MSS-03", "MSS-04", "MSS-05", "MSS-06")
            ]
        )
    out += [
        omitted(req, "Message sans accusé (MDN) : règle sans objet.", where) for req in ("MSS-08", "MSS-09", "MSS-10")
    ]
    xdms = _xdm_attachments(msg)
    out += _check_attachment(msg, xdms, where)
    refused = False
    for attachment in xdms:
        findings = check_xdm_data(attachment.data, f"{path}!{attachment.filename or 'piece-jointe.zip'}", environment)
        refused = refused or any(f.requirement == "DMP-52" and f.outcome == Outcome.FAIL for f in findings)
        out += findings
    if refused:
        out += [
            skipped(req, "Archive jointe refusée (voir DMP-52) : CDA joints inconnus, en-tête non vérifiable.", where)
            for req in ("MSS-03", "MSS-04")
        ]
    else:
        codes, has_ins = _cda_facts(xdms, path)
        out += _check_codecda(msg, codes, where)
        out += _check_ins(msg, codes, has_ins, where, rules)
    out += _check_subject(msg, xdms, where, rules)
    out += _check_notification(msg, where, rules)
    return out


@decides("MSS-07")
def _check_addresses(msg: MimeMessage, where: Location, rules: MssRules) -> list[Finding]:
    senders = header_addresses(msg, "From")
    recipients = header_addresses(msg, "To", "Cc", "Bcc")
    if not senders or not recipients:
        return [
            failed(
                "MSS-07",
                f"Expéditeur ou destinataire absent (From : {len(senders)}, To/Cc : {len(recipients)}).",
                where,
            )
        ]
    foreign = [a for a in senders + recipients if not valid_address(a) or not rules.is_mss(a)]
    if foreign:
        return [
            failed(
                "MSS-07",
                f"Adresse(s) hors messagerie MSSanté : {', '.join(foreign)} ; attendu : "
                f"domaine {' ou '.join(rules.domains)}.",
                where,
            )
        ]
    return [passed("MSS-07", f"Expéditeur et {len(recipients)} destinataire(s) MSSanté.", where)]


@decides("MSS-02")
def _check_attachment(msg: MimeMessage, xdms: list[Attachment], where: Location) -> list[Finding]:
    if not xdms:
        return [omitted("MSS-02", "Message sans archive jointe : aucun document transporté.", where)]
    out = []
    for attachment in xdms:
        if attachment.filename != XDM_NAME:
            out.append(
                failed(
                    "MSS-02",
                    f"Archive jointe nommée « {attachment.filename or 'sans nom'} » : {XDM_NAME} attendu.",
                    where,
                )
            )
        if attachment.content_type not in ZIP_TYPES:
            out.append(
                failed(
                    "MSS-02",
                    f"Archive jointe de type {attachment.content_type} : application/zip attendu.",
                    where,
                )
            )
    renderings = msg.text_bodies() + [
        a for a in msg.attachments() if a not in xdms and a.content_type in RENDERING_TYPES and a.data
    ]
    if not renderings:
        out.append(
            failed(
                "MSS-02",
                f"Aucun rendu lisible par un humain (corps texte ou HTML, ou PDF joint) à côté de {XDM_NAME}.",
                where,
            )
        )
    return out or [passed("MSS-02", f"{XDM_NAME} joint avec un rendu lisible ({len(renderings)}).", where)]


def _values(msg: MimeMessage, name: str) -> list[str]:
    return [v.strip() for header in msg.headers(name) for v in header.split(",") if v.strip()]


@decides("MSS-03")
def _check_codecda(msg: MimeMessage, codes: list[str], where: Location) -> list[Finding]:
    declared = _values(msg, "X-MSS-CODECDA")
    if not codes:
        if declared:
            return [
                failed(
                    "MSS-03",
                    f"X-MSS-CODECDA « {', '.join(declared)} » alors qu'aucun CDA n'est joint (en-tête attendu absent).",
                    where,
                )
            ]
        return [passed("MSS-03", "Aucun CDA joint, pas d'en-tête X-MSS-CODECDA.", where)]
    if sorted(declared) != sorted(codes):
        return [
            failed(
                "MSS-03",
                f"X-MSS-CODECDA « {', '.join(declared) or 'absent'} » : attendu le code de chaque "
                f"CDA joint « {', '.join(codes)} ».",
                where,
            )
        ]
    return [passed("MSS-03", f"X-MSS-CODECDA reprend le code de chaque CDA ({', '.join(codes)}).", where)]


@decides("MSS-04")
def _check_ins(msg: MimeMessage, codes: list[str], has_ins: bool, where: Location, rules: MssRules) -> list[Finding]:
    value = (msg.header("X-MSS-INS") or "").strip()
    if not has_ins:
        return [
            omitted(
                "MSS-04",
                "Aucun CDA portant un INS joint : règle sans objet."
                if codes
                else "Aucun CDA joint : règle sans objet.",
                where,
            )
        ]
    if not value:
        return [failed("MSS-04", "Un CDA portant un INS est joint mais l'en-tête X-MSS-INS est absent.", where)]
    if rules.ins_values is not None and value not in rules.ins_values:
        return [failed("MSS-04", f"X-MSS-INS « {value} » : attendu {' ou '.join(rules.ins_values)}.", where)]
    return [passed("MSS-04", f"X-MSS-INS « {value} » présent pour le CDA portant un INS.", where)]


def _real_date(day: int, month: int, year: int) -> date | None:
    """The calendar date, or None when there is no such day (month 14, 30 February) or it is still to come."""
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    return born if born <= date.today() else None


@decides("MSS-05")
def _check_subject(msg: MimeMessage, xdms: list[Attachment], where: Location, rules: MssRules) -> list[Finding]:
    """The subject convention ``<prefix><libellé> <NOM> <prénom> <date de naissance>``; an integration-error mail
    (facts §4.4) carries it after ``[KO Intégration système !][code]``; a trailing date must be a real one."""
    subject = msg.header("Subject") or ""
    if not xdms:
        return [omitted("MSS-05", "Message sans archive XDM : convention d'objet sans objet.", where)]
    wanted = f"attendu « {rules.subject_prefix}<libellé> <NOM> <prénom> <date de naissance JJ/MM/AAAA> »"
    convention, error = subject, ""
    if subject.startswith(KO_SUBJECT):
        code = _KO_CODE.match(subject, len(KO_SUBJECT))
        if code is None:
            return [
                failed(
                    "MSS-05",
                    f"Objet « {subject[:80]} » : trouvé « {KO_SUBJECT} » sans code ; attendu « {KO_SUBJECT}[code] » "
                    "suivi de l'objet du message d'origine.",
                    where,
                )
            ]
        convention, error = subject[code.end() :], f" (échec d'intégration {code.group().strip()})"
    if not convention.startswith(rules.subject_prefix) or len(convention) == len(rules.subject_prefix):
        return [failed("MSS-05", f"Objet « {subject[:80]} » : {wanted}.", where)]
    if (born := _BIRTH_DATE.search(convention)) and _real_date(*map(int, born.groups())) is None:
        return [
            failed(
                "MSS-05",
                f"Objet « {subject[:80]} » : trouvé la date de naissance « {born.group().strip()} », qui n'est pas "
                f"une date passée du calendrier ; {wanted}.",
                where,
            )
        ]
    return [passed("MSS-05", f"Objet conforme{error} : « {subject[:80]} ».", where)]


@decides("MSS-06")
def _check_notification(msg: MimeMessage, where: Location, rules: MssRules) -> list[Finding]:
    raw = msg.headers("Disposition-Notification-To")
    if not raw:
        return [omitted("MSS-06", "Aucun accusé de traitement demandé (pas de Disposition-Notification-To).", where)]
    addresses = header_addresses(msg, "Disposition-Notification-To")
    bad = [a for a in addresses if not valid_address(a) or not rules.is_mss(a)]
    if len(addresses) != 1 or bad:
        return [
            failed(
                "MSS-06",
                f"Disposition-Notification-To « {raw[0][:80]} » : attendu une adresse "
                "MSSanté unique où renvoyer l'accusé.",
                where,
            )
        ]
    return [passed("MSS-06", f"Accusé de traitement demandé à {addresses[0]}.", where)]


@decides("MSS-01")
def check_message(
    path: str, environment: str = "test", rules: MssRules = MssRules(), max_bytes: int = 50 * 1024 * 1024
) -> list[Finding]:
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        return [failed("MSS-01", f"Message de plus de {max_bytes} octets : non analysé.", Location(file=path))]
    return check_message_data(data, path, environment, rules)
