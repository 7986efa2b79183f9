"""What the DUI did, read from its own outputs: one pure function per document, run on ``check``'s executors.

Each document found by :func:`~dui_conformance.inputs.run_documents` (recognised by its content)
becomes *facts*: a document fed to the DMP (:class:`DocumentSeen`), a person and the state of
their identity (:class:`PersonSeen`), an MSSanté message (:class:`MessageSeen`), or an item the
harness could not use, with the reason (:class:`Unusable`). Facts carry no personal data (a
person is a digest of their traits) and name nothing of the cluster: attribution to an ESMS,
dating and counting are the controller's (:mod:`.tally`), so a worker needs only the document.

The exchanges a live run recorded (``report.json``, ``evidence.zip``) give the same facts: an
ITI-41 submission the simulated DMP accepted, a message the simulated MSSanté operator accepted.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email import policy
from email.parser import BytesParser
from functools import cache
from pathlib import Path
from typing import Any

from .. import inputs
from ..cda.context import load_models
from ..cda.models import recognise as recognise_models
from ..execution.executors import Batch
from ..ins.cda_record import read_cda
from ..ins.fhir_patient import patients, read_patient
from ..ins.hl7v2_pid import parse_pids, read_pid
from ..ins.identity import INS_OIDS, Identity
from ..ins.status import NOT_QUALIFIED, qualification
from ..mss import MIME_KIND, MimeMessage, is_mdn
from ..safezip import SafeZip, ZipLimits, ZipProblem, is_zip
from ..settings import RunSettings
from ..xds import XDM_KIND, XDS_KIND, MtomProblem, ebrim, parse_mtom, read_submission
from ..xds.iti41 import documents_of, read_capture
from ..xds.mtom import MAX_BODY_BYTES
from ..xmlsafe import HL7_NS, XmlDocument, XmlProblem, parse_xml

# National structure identifiers (« 1 » + FINESS) in a CDA, and in FHIR.
STRUCTURE_OID = "1.2.250.1.71.4.2.2"
FHIR_STRUCTURE_SYSTEMS = (f"urn:oid:{STRUCTURE_OID}",)
FHIR_FINESS_SYSTEMS = ("http://finess.sante.gouv.fr", "https://finess.esante.gouv.fr")
_FINESS = re.compile(r"^(?:\d{9}|2[AB]\d{7})$")

# How a document reached the DMP, strongest proof first (the controller keeps the strongest of a document).
PROOF_ITI41 = "soumission ITI-41"
PROOF_XDM = "archive IHE_XDM.ZIP"
PROOF_EXPORT = "document CDA exporté"
PROOF_RANK = {PROOF_ITI41: 0, PROOF_XDM: 1, PROOF_EXPORT: 2}

# Why an item is not counted (codes; French labels in :mod:`.tally`).
UNREADABLE = "illisible"
UNKNOWN = "non_reconnu"
ACKNOWLEDGEMENT = "accuse_reception"
REFUSED = "refuse"

# Member kinds: a CDA inside an IHE_XDM.ZIP feeds the DMP; one inside a message is an MSSanté attachment.
MEMBER_OF = ">"


@dataclass(frozen=True, slots=True)
class DocumentSeen:
    """One sighting of a CDA document fed to the DMP (an export, an XDM member or an ITI-41 submission)."""

    source: str
    proof: str
    set_id: str  # setId (root^extension), the ClinicalDocument id when there is none
    replacement: bool  # relatedDocument RPLC, versionNumber > 1, or an RPLC association
    kind: str  # document model (DLU, VSM…) or, unknown, its code
    when: datetime.date | None
    dated_by: str
    finess: tuple[str, ...]  # candidates, custodian first, then authors' organisations
    ins: bool  # the patient carries an INS (in CDA, only a qualified identity does)


@dataclass(frozen=True, slots=True)
class PersonSeen:
    """One sighting of a person (a CDA recordTarget, a FHIR Patient, an HL7 v2 PID) and their identity's state."""

    source: str
    key: str | None  # digest of the birth traits; None when they do not identify anyone
    qualified: bool
    when: datetime.date | None
    dated_by: str
    finess: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MessageSeen:
    """One sighting of an MSSanté message (an .eml file, or an SMTP submission recorded by the mock)."""

    source: str
    key: str  # Message-ID, or the digest of the message when it has none
    sender: str | None
    recipients: tuple[str, ...]
    when: datetime.date | None


@dataclass(frozen=True, slots=True)
class Unusable:
    """An item the harness cannot use, and why (``reason``: a code; ``detail``: French)."""

    source: str
    what: str
    reason: str
    detail: str


Fact = DocumentSeen | PersonSeen | MessageSeen | Unusable


# --- dates -------------------------------------------------------------------------------------------------

_HL7_DAY = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})")


def hl7_date(value: str | None) -> datetime.date | None:
    """The day of an HL7 TS / XDS DTM (``20250115103000+0100`` → 2025-01-15, as written); None below a day."""
    match = _HL7_DAY.match(value or "")
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def iso_date(value: Any) -> datetime.date | None:
    """The day of an ISO 8601 date or instant (FHIR, recorded exchanges)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def mail_date(value: str | None) -> datetime.date | None:
    """The day of an RFC 5322 ``Date`` header, in the sender's own time zone."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        return None


# --- people ------------------------------------------------------------------------------------------------


def person_key(identity: Identity) -> str | None:
    """A digest of the birth traits (name, first given name, date, sex): the same person whatever the format,
    and no personal data in the facts. None without a birth name or date (nobody can be told apart)."""
    family = (identity.birth_family or "").strip().upper()
    given = (identity.first_given or (identity.given_list or "").split(" ")[0]).strip().upper()
    if not family or not identity.birth_date:
        return None
    traits = "\x1f".join((family, given, identity.birth_date, (identity.sex or "").upper()))
    return hashlib.blake2b(traits.encode("utf-8"), digest_size=12).hexdigest()


def carries_ins(identity: Identity) -> bool:
    """An INS with a known assigning authority (INS-NIR, INS-NIA, and their test OIDs)."""
    return bool(identity.matricule) and identity.oid in INS_OIDS


def qualified(identity: Identity) -> bool:
    """A qualified identity: in CDA an INS (carried only for a qualified identity, CDA has no status);
    in HL7 v2 and FHIR the INS with the status that says qualified, read as the INS checks read it
    (:func:`~dui_conformance.ins.status.qualification`)."""
    if not carries_ins(identity):
        return False
    return not identity.format_carries_status or qualification(identity)[0] != NOT_QUALIFIED


# --- CDA ---------------------------------------------------------------------------------------------------


def _ii(node) -> str:
    if node is None:
        return ""
    root, extension = node.get("root") or "", node.get("extension") or ""
    return f"{root}^{extension}" if extension else root


def _structure_finess(values: list[str]) -> tuple[str, ...]:
    """FINESS numbers of national structure ids (« 1 » + FINESS), in order, without repeats."""
    found: list[str] = []
    for value in values:
        number = value.strip()[1:] if value.strip().startswith("1") else ""
        if _FINESS.match(number) and number not in found:
            found.append(number)
    return tuple(found)


@cache
def _models() -> list[dict]:
    return load_models()


def _kind(cda: XmlDocument) -> str:
    found = recognise_models(cda, _models())
    if found:
        return found[0][0]["key"]
    return str(cda.first("/hl7:ClinicalDocument/hl7:code/@code") or "autre")


def cda_facts(
    cda: XmlDocument, source: str, proof: str | None, submitted: tuple[datetime.date | None, str] | None = None
) -> list[Fact]:
    """The person a CDA is about and, when ``proof`` says it was fed to the DMP, the document itself.

    ``submitted`` dates a submission (ITI-41): the document then counts at that date, not its own."""
    doc = "/hl7:ClinicalDocument"
    if cda.root.tag != f"{{{HL7_NS}}}ClinicalDocument":
        return [Unusable(source, "document", UNKNOWN, "pas un document CDA R2 (ClinicalDocument)")]
    identities = read_cda(cda)
    identity = identities[0] if identities else Identity("cda", source)
    finess = _structure_finess(
        [
            str(v)
            for v in cda.xpath(
                f"{doc}/hl7:custodian/hl7:assignedCustodian/hl7:representedCustodianOrganization"
                f"/hl7:id[@root='{STRUCTURE_OID}']/@extension"
            )
            + cda.xpath(
                f"{doc}/hl7:author/hl7:assignedAuthor/hl7:representedOrganization"
                f"/hl7:id[@root='{STRUCTURE_OID}']/@extension"
            )
        ]
    )
    effective = hl7_date(cda.first(f"{doc}/hl7:effectiveTime/@value"))
    facts: list[Fact] = [
        PersonSeen(source, person_key(identity), qualified(identity), effective, "effectiveTime du document", finess)
    ]
    if proof is None:
        return facts
    when, dated_by = submitted if submitted and submitted[0] else (effective, "effectiveTime du document")
    version = cda.first(f"{doc}/hl7:versionNumber/@value") or "1"
    replaces = cda.first(f"{doc}/hl7:relatedDocument[@typeCode='RPLC']") is not None
    facts.append(
        DocumentSeen(
            source,
            proof,
            _ii(cda.first(f"{doc}/hl7:setId")) or _ii(cda.first(f"{doc}/hl7:id")),
            replaces or version.strip() not in ("", "1"),
            _kind(cda),
            when,
            dated_by,
            finess,
            carries_ins(identity),
        )
    )
    return facts


# --- ITI-41 ------------------------------------------------------------------------------------------------


def iti41_facts(content_type: str, body: bytes, source: str, received: datetime.date | None = None) -> list[Fact]:
    """Every document of a ProvideAndRegisterDocumentSet-b request, dated by its submission: the day the
    simulated DMP received it (``received``), else the SubmissionSet's ``submissionTime``."""
    try:
        msg = parse_mtom(content_type, body) if "multipart/related" in content_type.lower() else None
        xml = parse_xml(msg.envelope if msg else body, source)
    except (MtomProblem, XmlProblem) as problem:
        return [Unusable(source, "soumission", UNREADABLE, f"requête ITI-41 illisible : {problem}")]
    submission = read_submission(xml)
    documents, _ = documents_of(xml, msg)
    if not submission.entries:
        return [Unusable(source, "soumission", UNKNOWN, "requête ITI-41 sans DocumentEntry")]
    sets = submission.submission_sets
    when, dated_by = received, "réception par le DMP simulé"
    if when is None:
        when, dated_by = hl7_date(sets[0].slot("submissionTime") if sets else None), "submissionTime de la soumission"
    replacing = {a.source for a in submission.associations if a.type == ebrim.RPLC}
    facts: list[Fact] = []
    for entry in submission.entries:
        where = f"{source}#{entry.id}"
        data = documents.get(entry.id)
        if data is None:
            facts.append(Unusable(where, "document", UNREADABLE, "DocumentEntry sans document dans la requête"))
            continue
        try:
            cda = parse_xml(data, where)
        except XmlProblem as problem:
            facts.append(Unusable(where, "document", UNREADABLE, f"CDA illisible : {problem}"))
            continue
        found = cda_facts(inputs.embedded_cda(cda) or cda, where, PROOF_ITI41, (when, dated_by))
        if entry.id in replacing:
            found = [replace(f, replacement=True) if isinstance(f, DocumentSeen) else f for f in found]
        facts += found
    return facts


# --- MSSanté messages --------------------------------------------------------------------------------------


def message_facts(data: bytes, source: str) -> list[Fact]:
    """A message by its sender, recipients, ``Date`` and ``Message-ID``; an acknowledgement (MDN) is no message.

    Only the headers are parsed: the documents a message carries are entries of their own (``mime>cda``)."""
    try:
        headers = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
    except Exception as exc:  # noqa: BLE001 - hostile input: as the MIME reader, any parser error is a finding
        return [Unusable(source, "message", UNREADABLE, f"en-têtes illisibles : {type(exc).__name__}")]
    msg = MimeMessage(headers, [])
    if is_mdn(msg):
        return [Unusable(source, "message", ACKNOWLEDGEMENT, "accusé de réception (MDN), pas un message envoyé")]
    senders = [a.lower() for _, a in email.utils.getaddresses(msg.headers("From")) if a]
    recipients = tuple(a.lower() for _, a in email.utils.getaddresses(msg.headers("To") + msg.headers("Cc")) if a)
    message_id = (msg.header("Message-ID") or "").strip().strip("<>").strip()
    key = message_id or "sha256:" + hashlib.sha256(data).hexdigest()
    return [MessageSeen(source, key, senders[0] if senders else None, recipients, mail_date(msg.header("Date")))]


# --- identity exports --------------------------------------------------------------------------------------


def fhir_facts(data: Any, source: str) -> list[Fact]:
    """Each Patient of a resource or Bundle: its managing organisation, dated by ``meta.lastUpdated`` (its own,
    else the Bundle's, else the Bundle's ``timestamp``)."""
    found = patients(data)
    if not found:
        return [Unusable(source, "identité", UNKNOWN, "ressource FHIR sans Patient")]
    outer = data if isinstance(data, dict) else {}
    outer_when = iso_date((outer.get("meta") or {}).get("lastUpdated")) or iso_date(outer.get("timestamp"))
    facts: list[Fact] = []
    for prefix, patient in found:
        identity = read_patient(prefix, patient, source)
        organisation = patient.get("managingOrganization") or {}
        identifier = organisation.get("identifier") if isinstance(organisation, dict) else None
        finess: tuple[str, ...] = ()
        if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
            value, system = identifier["value"], identifier.get("system")
            if system in FHIR_STRUCTURE_SYSTEMS:
                finess = _structure_finess([value])
            elif system in FHIR_FINESS_SYSTEMS and _FINESS.match(value):
                finess = (value,)
        own = iso_date((patient.get("meta") or {}).get("lastUpdated"))
        facts.append(
            PersonSeen(
                f"{source}#{prefix}",
                person_key(identity),
                qualified(identity),
                own or outer_when,
                "meta.lastUpdated de la ressource" if own else "date du lot FHIR (meta.lastUpdated, timestamp)",
                finess,
            )
        )
    return facts


def hl7v2_facts(text: str, source: str) -> list[Fact]:
    """Each PID of the file, attributed by its message's sending facility (MSH-4: FINESS or « 1 » + FINESS)
    and dated by the message's MSH-7."""
    pids, errors = parse_pids(text, source)
    facts: list[Fact] = [Unusable(source, "identité", UNREADABLE, f"HL7 v2 : {e}") for e in errors]
    for pid in pids:
        fields = pid.msh
        components = re.split(r"[\^&]", fields[4]) if len(fields) > 4 else []
        finess = tuple(c for c in components if _FINESS.match(c)) + _structure_finess(components)
        identity = read_pid(pid)
        facts.append(
            PersonSeen(
                f"{source}#PID ligne {pid.line}",
                person_key(identity),
                qualified(identity),
                hl7_date(fields[7] if len(fields) > 7 else None),
                "MSH-7 du message",
                finess,
            )
        )
    return facts


# --- one document, one batch -------------------------------------------------------------------------------


def read_document(path: str, tag: str, max_bytes: int) -> list[Fact]:
    """The facts of one entry of the run's document list; ``tag`` is its kind, ``outer>kind`` for a member."""
    outer, _, kind = tag.rpartition(MEMBER_OF)
    if kind == XDM_KIND:
        return []  # an archive: its members are entries of their own
    doc = inputs.load(path, max_bytes)
    if kind == inputs.CDA:
        proof = {"": PROOF_EXPORT, XDM_KIND: PROOF_XDM}.get(outer)  # None: an MSSanté attachment
        return cda_facts(doc.cda, path, proof)
    if kind == XDS_KIND:
        data = inputs.read_file(path, MAX_BODY_BYTES)
        if len(data) > MAX_BODY_BYTES:
            raise inputs.InputTooLarge(f"requête ITI-41 de plus de {MAX_BODY_BYTES} octets : non analysée")
        content_type, body, _ = read_capture(data)
        return iti41_facts(content_type, body, path)
    if kind == MIME_KIND:
        return message_facts(doc.data, path)
    if kind == inputs.FHIR:
        return fhir_facts(doc.json, path)
    if kind == inputs.HL7V2:
        return hl7v2_facts(doc.text[0], path)
    return [unknown_input(path, kind)]


def unknown_input(path: str, kind: str) -> Unusable:
    return Unusable(path, "fichier", UNKNOWN, f"{inputs.KIND_LABELS.get(kind, kind)} : pas une preuve d'usage")


def read_batch(batch: Batch, settings: RunSettings) -> list[Fact]:
    """The facts of a batch; a document that cannot be read is one :class:`Unusable`, never a stopped batch."""
    facts: list[Fact] = []
    for path, tag in batch:
        try:
            facts += read_document(path, tag, settings.max_bytes)
        except (XmlProblem, inputs.InputTooLarge, ValueError, OSError) as exc:
            facts.append(Unusable(path, "fichier", UNREADABLE, str(exc) or type(exc).__name__))
    return facts


def read_shipped(batch: Batch, settings: RunSettings, files: dict[str, bytes]) -> list[Fact]:
    """A batch on a Dask worker, reading the files that came with it (none: from the shared disk)."""
    with inputs.shipped(files):
        return read_batch(batch, settings)


# --- a live run's recorded exchanges -----------------------------------------------------------------------


def is_run_report(head: bytes) -> bool:
    """``report.json`` of a run (its schema version and run id come first)."""
    return head.lstrip().startswith(b"{") and b'"schema_version"' in head and b'"run_id"' in head


def is_evidence_pack(data: bytes, max_bytes: int) -> bool:
    """``evidence.zip``: a ZIP holding the run's ``report.json`` and ``MANIFEST.json``."""
    if not is_zip(data[:4]):
        return False
    try:
        names = set(_pack(data, max_bytes).names())
    except ZipProblem:
        return False
    return {"report.json", "MANIFEST.json"} <= names


def _pack(data: bytes, max_bytes: int) -> SafeZip:
    return SafeZip(data, ZipLimits(max_entries=1_000_000, max_entry_bytes=max_bytes, max_total_bytes=max_bytes))


def recorded_exchanges(path: Path, max_bytes: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(source, exchange) of each exchange a run recorded: one ``echanges/*.json`` at a time from an evidence
    pack, the ``exchanges`` of a ``report.json``."""
    data = inputs.read_file(path, max_bytes)
    if len(data) > max_bytes:
        raise inputs.InputTooLarge(f"{path} : plus de {max_bytes} octets (limite réglable par --taille-max)")
    if is_zip(data[:4]):
        pack = _pack(data, max_bytes)
        for name in pack.names():
            if name.startswith("echanges/") and name.endswith(".json"):
                yield f"{path}!{name}", json.loads(pack.read(name))
        return
    for exchange in json.loads(data).get("exchanges") or []:
        yield f"{path}#{exchange.get('id', '')}", exchange


def exchange_facts(exchange: dict[str, Any], source: str) -> list[Fact]:
    """Usage facts of one recorded exchange: an ITI-41 submission the simulated DMP accepted, a message the
    simulated MSSanté operator accepted; [] for every other exchange (INSi, PSC, queries)."""
    service, operation = exchange.get("service"), exchange.get("operation")
    request = exchange.get("request") or {}
    response = exchange.get("response") or {}
    data = exchange.get("data") or {}
    body = str(request.get("body") or "").encode("utf-8")  # recorded as UTF-8 text (CDA and messages are)
    if service == "dmp" and operation == "ITI-41":
        if data.get("status") != "Success":
            why = ", ".join(str(e.get("code", e)) for e in data.get("errors") or []) or "sans réponse"
            return [Unusable(source, "soumission", REFUSED, f"soumission refusée par le DMP simulé ({why})")]
        headers = {str(k).lower(): str(v) for k, v in (request.get("headers") or {}).items()}
        return iti41_facts(headers.get("content-type", ""), body, source, iso_date(exchange.get("started")))
    if service == "mss" and operation == "envoi":
        status = response.get("status")
        if not isinstance(status, int) or not 200 <= status < 300:
            reply = str(response.get("body") or "connexion coupée").strip()
            return [Unusable(source, "message", REFUSED, f"message refusé par l'opérateur simulé ({reply})")]
        return message_facts(body, source)
    return []
