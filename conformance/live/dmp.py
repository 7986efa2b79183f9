"""Live DMP checks (DMP-60 … DMP-64, and DMP-40…50, 53, 54 on the recorded traffic): what the
DUI sent to the DMP mock when asked to feed or to integrate, and what it answered and kept; and the
consultation of vague 2 (DMP-65 … DMP-72): opening a resident's record, what the DUI shows of the DMP, no
document downloaded twice, a newer version noticed.

The check functions are pure over one :class:`FeedRun`, :class:`IntegrationRun` or :class:`OpeningRun`;
the ``run_*`` helpers drive the DUI once and gather the DMP traffic, as ``LiveEnvironment.admit``
does for the INSi.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib.resources import files
from typing import Any

from lxml import etree

from ..cda import CdaContext, check_cda
from ..decides import decides
from ..exchanges import Exchange
from ..ins.fhir_patient import ins_identifiers
from ..model import Finding, Location, Outcome, failed, omitted, passed, skipped
from ..requirements.catalogue import grade
from ..xds import ebrim, parse_mtom, read_submission
from ..xds.dmp_requests import (
    ITI18,
    ITI41,
    ITI43,
    TD02,
    check_existence,
    check_query,
    check_retrieve,
    check_submission,
)
from ..xds.mtom import MtomProblem
from ..xmlsafe import XmlProblem, parse_xml
from .driver import DmpAnswer, answer_label
from .ins import AdmissionRun
from .personas import DmpProfile

PENDING = "en_attente"
_HL7 = {"hl7": ebrim.HL7}
# lireVueDmp « statutDmp » for each state of the DMP mock (TD0.2 answer), and without any DMP transaction.
SHOWN_STATE = {"present": "ouvert", "absent": "absent", "refuse": "acces-refuse"}
OPPOSED, NOT_ASKED = "opposition", "non-interroge"
VSM_TYPE = "SYNTH"  # typeCode of a volet de synthèse médicale (facts §2.3: code SYNTH, TRE_A05)


@dataclass
class FeedRun:
    """One feed order: the DUI's answer, the DMP traffic it caused, the documents it lists after."""

    resident_id: str | None  # None when the admission created no resident
    ins: str | None  # matricule the DUI declared at admission (in its export when its answer has none: attended mode)
    qualified: bool  # the DUI reported a qualified identity at admission (prerequisite of a feed)
    answer: DmpAnswer
    exchanges: list[Exchange]
    documents: dict[str, bytes]  # entryUUID → bytes, for what the DMP stored
    listing: list[dict[str, Any]] = field(default_factory=list)
    replaced: FeedRun | None = None  # the earlier feed this one replaces

    def submissions(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.operation == ITI41]

    def stored(self) -> list[str]:
        return [uuid for e in self.submissions() for uuid in e.data.get("stored", [])]


@dataclass
class IntegrationRun:
    """One integration order: documents placed in the DMP for the resident, traffic, records after."""

    resident_id: str
    patient_id: str | None  # XDS patientId the documents were shared under; None: the DUI exports no INS
    seeded: list[str]  # uniqueIds placed in the DMP for this resident
    answer: DmpAnswer
    exchanges: list[Exchange]
    received: dict[str, list[dict[str, Any]]]  # resident id → documents filed in its record

    def of(self, operation: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.operation == operation]


def run_feed(env, admitted: AdmissionRun, replaced: FeedRun | None = None) -> FeedRun:
    """Ask the DUI to feed the DMP for an admitted resident (a replacement of ``replaced`` when given) and
    gather what followed."""
    resident_id = admitted.admission.resident_id
    identity = admitted.identity()
    qualified = (identity.status if identity is not None and identity.status else admitted.admission.status) == "QUAL"
    since = env.mark()
    answer = env.driver.feed_dmp(resident_id, replaces=replaced.answer.document_id if replaced else None)
    exchanges = env.exchanges("dmp", since)
    documents = {}
    for entry_uuid in (u for e in exchanges if e.operation == ITI41 for u in e.data.get("stored", [])):
        entry = env.dmp.store.get(entry_uuid)
        if entry is not None:
            documents[entry_uuid] = entry.document
    ins = admitted.admission.ins or (identity.matricule if identity is not None else None)
    return FeedRun(
        resident_id, ins, qualified, answer, exchanges, documents, env.driver.dmp_documents(resident_id), replaced
    )


def run_integration(
    env, resident_id: str, patient_id: str | None, seeded: list[str], residents: list[str]
) -> IntegrationRun:
    """Ask the DUI to integrate the resident's DMP documents; read back every listed resident's record."""
    since = env.mark()
    answer = env.driver.integrate_dmp(resident_id)
    exchanges = env.exchanges("dmp", since)
    received = {rid: env.driver.received_documents(rid) for rid in dict.fromkeys([resident_id, *residents])}
    return IntegrationRun(resident_id, patient_id, seeded, answer, exchanges, received)


def shared_patient_id(patient: dict[str, Any] | None) -> str | None:
    """XDS patientId (<matricule>^^^&<OID>&ISO^NH) of the INS a DUI exports for a resident, None without one."""
    for _, identifier in ins_identifiers(patient or {}):
        system, value = identifier.get("system"), identifier.get("value")
        if isinstance(system, str) and system.startswith("urn:oid:") and isinstance(value, str):
            return f"{value}^^^&{system.removeprefix('urn:oid:')}&ISO^NH"
    return None


def seed_document(env, patient_id: str, replaces: str | None = None) -> str:
    """Place the harness's valid synthetic DLU in the DMP mock for this patient (as another professional
    would have shared it), its ClinicalDocument/id being its fresh uniqueId; with ``replaces``, as the new version
    of that document (relatedDocument RPLC in the CDA, the old entry deprecated). Its uniqueId."""
    unique_id = f"2.25.{uuid.uuid4().int}"
    cda = parse_xml(
        (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes(), "dlu-valide.xml"
    ).root
    cda.find(f"{{{ebrim.HL7}}}id").attrib.update({"root": unique_id})
    cda.find(f"{{{ebrim.HL7}}}id").attrib.pop("extension", None)
    if replaces:
        related = etree.Element(f"{{{ebrim.HL7}}}relatedDocument", typeCode="RPLC")
        parent = etree.SubElement(related, f"{{{ebrim.HL7}}}parentDocument")
        etree.SubElement(parent, f"{{{ebrim.HL7}}}id", root=replaces)
        cda.find(f"{{{ebrim.HL7}}}componentOf").addprevious(related)
    data = etree.tostring(cda, xml_declaration=True, encoding="UTF-8")
    return env.dmp.seed(data, replaces=replaces, patient_id=patient_id, unique_id=unique_id).unique_id


def _where(exchange: Exchange | None) -> Location:
    return Location(exchange=exchange.id if exchange else None)


def _problem(answer: DmpAnswer) -> str:
    problem = answer.problem or {}
    return f"{answer_label(answer.http_status)} : {problem.get('title') or ''} {problem.get('detail') or ''}".strip()


@lru_cache(maxsize=1)
def _cda_context() -> CdaContext:
    return CdaContext.build()


def _unqualified(requirement: str) -> Finding:
    return skipped(
        requirement,
        "Le DUI n'a pas qualifié l'identité du résident à l'admission : prérequis de "
        "l'échange avec le DMP non atteint (voir les exigences INS).",
    )


@decides("DMP-40", "DMP-41", "DMP-42", "DMP-43", "DMP-44", "DMP-45", "DMP-46", "DMP-47", "DMP-48", "DMP-49", "DMP-50")
def check_recorded(run: FeedRun, requirements: list[str]) -> list[Finding]:
    """DMP-40…50: what :func:`dui_conformance.xds.check_iti41` finds on each submission the DMP mock recorded."""
    submissions = run.submissions()
    if not submissions:
        return [skipped(req, "Aucune soumission ITI-41 observée : rien à vérifier.") for req in requirements]
    out = [f for e in submissions for f in check_submission(e) if f.requirement in requirements]
    seen = {f.requirement for f in out}
    return out + [
        skipped(req, "Règle non évaluée sur la soumission enregistrée.", _where(submissions[-1]))
        for req in requirements
        if req not in seen
    ]


@decides("DMP-60")
def check_single_submission(run: FeedRun) -> list[Finding]:
    """DMP-60: one accepted ITI-41 per order, for the resident's INS, carrying a CDA without failures."""
    submissions = run.submissions()
    if not run.qualified and not submissions:
        return [_unqualified("DMP-60")]
    if run.answer.error_reported:
        return [
            failed(
                "DMP-60",
                f"Le DUI n'a pas alimenté le DMP pour un résident à l'identité qualifiée ({_problem(run.answer)}).",
                _where(submissions[-1] if submissions else None),
            )
        ]
    if len(submissions) != 1:
        return [
            failed(
                "DMP-60",
                f"{len(submissions)} soumission(s) ITI-41 pour une seule demande d'alimentation : "
                "exactement une attendue.",
                _where(submissions[-1] if submissions else None),
                ", ".join(e.id for e in submissions) or "aucune",
            )
        ]
    e = submissions[0]
    where = _where(e)
    if e.data.get("status") != "Success":
        codes = ", ".join(err["code"] for err in e.data.get("errors", []))
        return [failed("DMP-60", f"Soumission refusée par le DMP ({codes}).", where, codes)]
    out, advice = [], []
    entry_patient = read_patient_id(e) or ""
    if not run.ins or not entry_patient.startswith(f"{run.ins}^^^"):
        out.append(
            failed(
                "DMP-60",
                f"Soumission pour le patientId « {entry_patient} » au lieu de l'INS "
                f"{run.ins or '(aucun)'} déclaré par le DUI pour ce résident.",
                where,
                entry_patient,
            )
        )
    for entry_uuid, data in run.documents.items():
        try:
            cda = parse_xml(data, f"{e.id} (document {entry_uuid})")
        except XmlProblem as problem:
            out.append(failed("DMP-60", f"Document transmis illisible : {problem.message}", where))
            continue
        for f in grade(check_cda(cda, _cda_context())):  # a PEUT's advice keeps its own id, never fails DMP-60
            at = Location(f.location.file, f.location.xpath, f.location.line, e.id)
            if f.outcome is Outcome.ADVISORY:
                advice.append(replace(f, location=at))
            elif f.outcome in (Outcome.FAIL, Outcome.ERROR):
                out.append(
                    failed(
                        "DMP-60",
                        f"Document CDA transmis non conforme — [{f.requirement}] {f.message}",
                        at,
                        f.requirement,
                    )
                )
    if not run.documents:
        out.append(failed("DMP-60", "Le DMP n'a enregistré aucun document pour cette soumission.", where))
    return (
        out or [passed("DMP-60", "Une soumission ITI-41 acceptée, pour l'INS du résident, CDA conforme.", where)]
    ) + advice


def read_patient_id(exchange: Exchange) -> str | None:
    """SubmissionSet patientId of a recorded ITI-41 request."""
    submission = _submission(exchange)
    if submission is None or not submission.submission_sets:
        return None
    return submission.submission_sets[0].external(ebrim.SS_PATIENT_ID)


def _submission(exchange: Exchange) -> ebrim.Submission | None:
    request = exchange.request
    content_type = request.header("Content-Type") or ""
    try:
        body = request.content()
        if "multipart/related" in content_type.lower():
            body = parse_mtom(content_type, body).envelope
        return read_submission(parse_xml(body, exchange.id))
    except (MtomProblem, XmlProblem):
        return None


def cda_replaces(data: bytes) -> list[str]:
    """The ids (root^extension) of the documents a CDA declares it replaces (relatedDocument RPLC)."""
    try:
        cda = parse_xml(data, "document")
    except XmlProblem:
        return []
    return [
        f"{i.get('root')}^{i.get('extension')}" if i.get("extension") else i.get("root", "")
        for i in cda.root.xpath("hl7:relatedDocument[@typeCode='RPLC']/hl7:parentDocument/hl7:id", namespaces=_HL7)
    ]


@decides("DMP-61")
def check_replacement(run: FeedRun) -> list[Finding]:
    """DMP-61: the replacement carries RPLC → replaced entryUUID, and its CDA relatedDocument RPLC."""
    previous = run.replaced
    if not run.qualified and not run.submissions():
        return [_unqualified("DMP-61")]
    if previous is None or not previous.stored():
        return [
            skipped(
                "DMP-61", "Le document à remplacer n'a pas été enregistré par le DMP : remplacement non vérifiable."
            )
        ]
    submissions = run.submissions()
    if not submissions:
        return [failed("DMP-61", f"Aucune soumission ITI-41 pour le remplacement ({_problem(run.answer)}).")]
    old_uuid = previous.stored()[0]
    old_unique = next((u for u in _cda_ids(previous)), None)
    out = []
    for e in submissions:
        if e.data.get("status") != "Success":
            codes = ", ".join(err["code"] for err in e.data.get("errors", [])) or "sans code"
            out.append(
                failed(
                    "DMP-61",
                    f"Remplacement refusé par le DMP ({codes}) : le document {old_unique} n'est pas remplacé.",
                    _where(e),
                    codes,
                )
            )
        submission = _submission(e)
        targets = [a.target for a in (submission.associations if submission else []) if a.type == ebrim.RPLC]
        if old_uuid not in targets:
            out.append(
                failed(
                    "DMP-61",
                    f"Soumission de remplacement sans association RPLC vers l'entrée remplacée {old_uuid}.",
                    _where(e),
                    ", ".join(targets) or "aucune association RPLC",
                )
            )
    for data in run.documents.values():
        named = cda_replaces(data)
        if old_unique not in named:
            out.append(
                failed(
                    "DMP-61",
                    f"Le CDA de remplacement ne porte pas de relatedDocument RPLC vers le document {old_unique}.",
                    _where(submissions[-1]),
                    ", ".join(named) or "aucun",
                )
            )
    return out or [
        passed(
            "DMP-61",
            f"Remplacement déclaré (RPLC vers {old_uuid}, relatedDocument {old_unique}).",
            _where(submissions[-1]),
        )
    ]


def _cda_ids(run: FeedRun) -> list[str]:
    ids = []
    for data in run.documents.values():
        try:
            node = parse_xml(data, "document").root.find(f"{{{ebrim.HL7}}}id")
        except XmlProblem:
            continue
        if node is not None:
            ids.append(f"{node.get('root')}^{node.get('extension')}" if node.get("extension") else node.get("root", ""))
    return ids


@decides("DMP-62")
def check_refused_unqualified(run: FeedRun) -> list[Finding]:
    """DMP-62: for an identity that is not qualified, an error and no request to the DMP."""
    out = [
        failed("DMP-62", f"Requête {e.operation or ''} envoyée au DMP pour une identité non qualifiée.", _where(e))
        for e in run.exchanges
    ]
    if not run.answer.error_reported:
        out.append(
            failed(
                "DMP-62",
                "Le DUI a accepté d'alimenter le DMP pour une identité non qualifiée "
                f"({answer_label(run.answer.http_status)}).",
                Location(file=f"residents/{run.resident_id}"),
            )
        )
    return out or [
        passed(
            "DMP-62",
            f"Alimentation refusée pour l'identité non qualifiée ({_problem(run.answer)}), rien envoyé au DMP.",
            Location(file=f"residents/{run.resident_id}"),
        )
    ]


@decides("DMP-63")
def check_error_kept(run: FeedRun) -> list[Finding]:
    """DMP-63: after a DMP error, the DUI reports it and lists the document as pending."""
    rejected = [e for e in run.submissions() if e.data.get("status") == "Failure"]
    if not rejected and not run.qualified:
        return [_unqualified("DMP-63")]
    if not rejected:
        return [
            skipped(
                "DMP-63",
                "Aucune soumission refusée par le DMP observée : le DUI a-t-il tenté l'envoi ?",
                evidence=", ".join(e.id for e in run.exchanges) or "aucune requête au DMP",
            )
        ]
    where = _where(rejected[-1])
    codes = ", ".join(err["code"] for err in rejected[-1].data.get("errors", []))
    out = []
    if not run.answer.error_reported:
        out.append(
            failed(
                "DMP-63",
                f"Erreur du DMP ({codes}) non signalée : le DUI a répondu "
                f"({answer_label(run.answer.http_status)}) comme si l'envoi avait réussi.",
                where,
                codes,
            )
        )
    pending = [
        d
        for d in run.listing
        if d.get("statut") == PENDING
        and (run.answer.document_id is None or d.get("document_id") == run.answer.document_id)
    ]
    if not pending:
        statuses = ", ".join(f"{d.get('document_id')} : {d.get('statut')}" for d in run.listing) or "aucun document"
        out.append(
            failed("DMP-63", "Document refusé par le DMP non gardé en attente d'un nouvel envoi.", where, statuses)
        )
    return out or [
        passed(
            "DMP-63",
            f"Erreur du DMP ({codes}) signalée, document {pending[0].get('document_id')} gardé en attente.",
            where,
        )
    ]


@decides("DMP-64")
def check_integration(run: IntegrationRun) -> list[Finding]:
    """DMP-64: ITI-18 on the resident's INS, ITI-43 of each new document, filed in this resident's record only."""
    if run.patient_id is None:
        return [_unqualified("DMP-64")]
    queries, retrievals = run.of(ITI18), run.of(ITI43)
    last = run.exchanges[-1] if run.exchanges else None
    out = []
    if run.answer.error_reported:
        out.append(failed("DMP-64", f"Intégration refusée par le DUI ({_problem(run.answer)}).", _where(last)))
    if not queries:
        out.append(failed("DMP-64", "Aucune recherche ITI-18 au DMP pendant l'intégration.", _where(last)))
    for e in queries:
        if e.data.get("patient_id") != run.patient_id:
            out.append(
                failed(
                    "DMP-64",
                    f"Recherche ITI-18 sur « {e.data.get('patient_id')} » au lieu de l'INS du "
                    f"résident « {run.patient_id} ».",
                    _where(e),
                    e.data.get("patient_id"),
                )
            )
    retrieved = {uid for e in retrievals for uid in e.data.get("retrieved", [])}
    for uid in run.seeded:
        if uid not in retrieved:
            out.append(failed("DMP-64", f"Document {uid} du DMP jamais récupéré (ITI-43).", _where(last)))
        if uid not in {d.get("uniqueId") for d in run.received.get(run.resident_id, [])}:
            out.append(
                failed(
                    "DMP-64",
                    f"Document {uid} absent du dossier du résident {run.resident_id}.",
                    Location(file=f"residents/{run.resident_id}/documents-recus"),
                )
            )
        for other, documents in run.received.items():
            if other != run.resident_id and uid in {d.get("uniqueId") for d in documents}:
                out.append(
                    failed(
                        "DMP-64",
                        f"Document {uid} du résident {run.resident_id} rangé dans le dossier du résident {other}.",
                        Location(file=f"residents/{other}/documents-recus"),
                        other,
                    )
                )
    if not run.seeded:
        return [omitted("DMP-64", "Aucun document placé dans le DMP pour ce résident.")]
    return out or [
        passed(
            "DMP-64",
            f"{len(run.seeded)} document(s) recherché(s), récupéré(s) et rangé(s) dans le "
            f"dossier du résident {run.resident_id}.",
            _where(last),
        )
    ]


def _requests(
    run: IntegrationRun, operation: str, requirement: str, check: Callable[[Exchange], list[Finding]]
) -> list[Finding]:
    exchanges = run.of(operation)
    if not exchanges:
        return [skipped(requirement, f"Aucune requête {operation} observée : rien à vérifier.")]
    return [f for e in exchanges for f in check(e)]


@decides("DMP-53")
def check_query_requests(run: IntegrationRun) -> list[Finding]:
    """DMP-53: the ITI-18 requests of the integration (FindDocuments on the resident's INS)."""
    return _requests(run, ITI18, "DMP-53", check_query)


@decides("DMP-54")
def check_retrieve_requests(run: IntegrationRun) -> list[Finding]:
    """DMP-54: the ITI-43 requests of the integration (documents the DMP holds)."""
    return _requests(run, ITI43, "DMP-54", check_retrieve)


# --- Consultation (vague 2) -------------------------------------------------------------------------------------


@dataclass
class OpeningRun:
    """One opening of a resident's record: the DMP traffic it caused, what the DUI shows of the DMP after it, and
    what the DMP mock holds for the resident (its approved entries: uniqueId, typeCode, creationTime)."""

    resident_id: str | None
    patient_id: str | None  # XDS patientId of the INS the DUI exports; None: no INS exported (not qualified)
    qualified: bool
    profile: DmpProfile
    answer: DmpAnswer
    exchanges: list[Exchange]
    view: dict[str, Any] | None  # lireVueDmp after the opening; None when the DUI reported an error
    held: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def expected_state(self) -> str:
        if not self.qualified or self.patient_id is None:
            return NOT_ASKED
        return OPPOSED if self.profile.opposition else SHOWN_STATE.get(self.profile.state, self.profile.state)


def run_opening(env, admitted: AdmissionRun, profile: DmpProfile) -> OpeningRun:
    """Declare the resident's DMP to the mock as ``profile`` says, have the user open the record (recording the
    resident's non-opposition or opposition), read what the record shows of the DMP."""
    resident_id = admitted.admission.resident_id
    identity = admitted.identity()
    qualified = (identity.status if identity is not None and identity.status else admitted.admission.status) == "QUAL"
    patient_id = shared_patient_id(admitted.patient)
    if patient_id is not None:
        env.dmp.declare(patient_id, profile.state)
    since = env.mark()
    answer = env.driver.open_record(resident_id, non_opposition=not profile.opposition)
    exchanges = env.exchanges("dmp", since)
    view = None if answer.error_reported else env.driver.dmp_view(resident_id)
    held = [
        {"uniqueId": e.unique_id, "typeCode": e.type_code(), "creationTime": e.slot("creationTime")}
        for e in (env.dmp.entries(patient_id) if patient_id else [])
        if e.status == ebrim.APPROVED
    ]
    return OpeningRun(resident_id, patient_id, qualified, profile, answer, exchanges, view, held)


def seed_vsm(env, patient_id: str, creation_time: str) -> str:
    """A volet de synthèse médicale placed in the DMP for this patient (typeCode SYNTH, this creation time); its
    uniqueId. The bytes are the harness's DLU: only the metadata a DUI lists are a VSM's."""
    data = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
    entry = env.dmp.seed(
        data,
        patient_id=patient_id,
        unique_id=f"2.25.{uuid.uuid4().int}",
        type_code=ebrim.Code(VSM_TYPE, "1.2.250.1.213.1.1.4.12", "Synthèse"),
        creation_time=creation_time,
        title="Volet de synthèse médicale",
    )
    return entry.unique_id


def _opening_where(run: OpeningRun) -> Location:
    return Location(file=f"residents/{run.resident_id}/ouverture")


def _view_where(run: OpeningRun) -> Location:
    return Location(file=f"residents/{run.resident_id}/dmp")


def _opening_failed(requirement: str, run: OpeningRun) -> list[Finding]:
    return [
        failed(requirement, f"Ouverture du dossier refusée par le DUI ({_problem(run.answer)}).", _opening_where(run))
    ]


@decides("DMP-66")
def check_existence_on_opening(run: OpeningRun) -> list[Finding]:
    """DMP-66 (SC.DMP/UX.07, UX.08): opening the record of a resident with a qualified INS who does not oppose makes
    the DUI test the DMP's existence (TD0.2) on that INS, with no other action, before any consultation transaction."""
    if run.expected_state in (NOT_ASKED, OPPOSED):
        return [
            omitted("DMP-66", "Identité non qualifiée ou opposition du résident : pas de test d'existence attendu.")
        ]
    if run.answer.error_reported:
        return _opening_failed("DMP-66", run)
    tests = [i for i, e in enumerate(run.exchanges) if e.operation == TD02]
    consulting = [i for i, e in enumerate(run.exchanges) if e.operation in (ITI18, ITI43)]
    if not tests:
        return [
            failed(
                "DMP-66",
                "Aucun test d'existence du DMP (TD0.2) à l'ouverture du dossier d'un résident à l'INS qualifiée, sans "
                "opposition : attendu automatiquement, sans action de l'utilisateur (SC.DMP/UX.07).",
                _opening_where(run),
                ", ".join(e.operation or "?" for e in run.exchanges) or "aucune requête au DMP",
            )
        ]
    out = []
    first = run.exchanges[tests[0]]
    if first.data.get("patient_id") != run.patient_id:
        out.append(
            failed(
                "DMP-66",
                f"Test d'existence sur « {first.data.get('patient_id')} » au lieu de l'INS du résident "
                f"« {run.patient_id} ».",
                _where(first),
            )
        )
    if consulting and consulting[0] < tests[0]:
        early = run.exchanges[consulting[0]]
        out.append(
            failed(
                "DMP-66",
                f"{early.operation} envoyée avant le test d'existence (TD0.2) : aucune consultation attendue avant la "
                "vérification du droit d'accès (SC.DMP/UX.08).",
                _where(early),
            )
        )
    return out or [
        passed("DMP-66", "Test d'existence du DMP (TD0.2) fait à l'ouverture, sur l'INS du résident.", _where(first))
    ]


@decides("DMP-67")
def check_no_transaction(run: OpeningRun) -> list[Finding]:
    """DMP-67 (SC.DMP/CONF.06/09, UX.07): with an identity not qualified or the resident's opposition, opening the
    record makes no DMP transaction at all, and the record shows why, with no document list."""
    if run.expected_state not in (NOT_ASKED, OPPOSED):
        return [omitted("DMP-67", "Identité qualifiée sans opposition : les transactions DMP sont permises.")]
    if run.answer.error_reported:
        return _opening_failed("DMP-67", run)
    why = "opposition du résident" if run.expected_state == OPPOSED else "identité non qualifiée"
    out = [
        failed("DMP-67", f"Requête {e.operation or ''} envoyée au DMP malgré l'{why}.", _where(e))
        for e in run.exchanges
    ]
    view = run.view or {}
    if view.get("statutDmp") != run.expected_state or view.get("documents") is not None:
        out.append(
            failed(
                "DMP-67",
                f"Vue DMP « {view.get('statutDmp')} », documents {view.get('documents')!r} : attendu "
                f"« {run.expected_state} » sans liste de documents ({why}).",
                _view_where(run),
            )
        )
    return out or [passed("DMP-67", f"Aucune transaction DMP ({why}), montré comme tel.", _view_where(run))]


@decides("DMP-68")
def check_view(run: OpeningRun) -> list[Finding]:
    """DMP-68 (SC.DMP/UX.11, UX.12, UX.14): the record shows whether the INS is qualified, the DMP's state as the DMP
    answered (open, none, access refused), and for an open DMP the list of exactly the documents it holds for the
    resident; no list otherwise."""
    if run.expected_state in (NOT_ASKED, OPPOSED):
        return [omitted("DMP-68", "Aucune transaction DMP attendue : rien à comparer avec le DMP (voir DMP-67).")]
    if run.answer.error_reported or run.view is None:
        return _opening_failed("DMP-68", run)
    view, where, out = run.view, _view_where(run), []
    if view.get("insQualifiee") is not True:
        out.append(failed("DMP-68", f"INS qualifiée montrée « {view.get('insQualifiee')} » : attendu vrai.", where))
    if view.get("statutDmp") != run.expected_state:
        out.append(
            failed(
                "DMP-68",
                f"État du DMP montré « {view.get('statutDmp')} » : le DMP a répondu « {run.expected_state} ».",
                where,
            )
        )
    listed = view.get("documents")
    if run.expected_state != "ouvert":
        if listed is not None:
            out.append(
                failed(
                    "DMP-68", f"Liste de documents montrée ({listed!r}) pour un DMP « {run.expected_state} ».", where
                )
            )
    elif not isinstance(listed, list):
        out.append(failed("DMP-68", "Aucune liste des documents du DMP montrée pour un DMP ouvert.", where))
    else:
        shown = {d.get("uniqueId") for d in listed if isinstance(d, dict)}
        held = {h["uniqueId"] for h in run.held}
        for uid in sorted(held - shown, key=str):
            out.append(failed("DMP-68", f"Document {uid} du DMP absent de la liste montrée.", where))
        for uid in sorted(shown - held, key=str):
            out.append(failed("DMP-68", f"Document {uid} montré, que le DMP ne détient pas pour ce résident.", where))
    return out or [
        passed(
            "DMP-68",
            f"DMP « {run.expected_state} », INS qualifiée et liste de {len(run.held)} document(s) montrés.",
            where,
        )
    ]


@decides("DMP-69")
def check_vsm(run: OpeningRun) -> list[Finding]:
    """DMP-69 (SC.DMP/UX.43): for an open DMP, the record shows whether a VSM is available, and the latest's date."""
    if run.expected_state != "ouvert":
        return [omitted("DMP-69", f"DMP « {run.expected_state} » : pas de VSM à montrer.")]
    if run.answer.error_reported or run.view is None:
        return _opening_failed("DMP-69", run)
    vsm = [h for h in run.held if h["typeCode"] == VSM_TYPE]
    latest = max(vsm, key=lambda h: h["creationTime"] or "", default=None)
    expected = {"disponible": latest is not None, "date": latest["creationTime"] if latest else None}
    shown = run.view.get("vsm")
    shown_cut = {k: shown.get(k) for k in expected} if isinstance(shown, dict) else shown
    if shown_cut != expected:
        return [
            failed(
                "DMP-69",
                f"VSM montré {shown!r} : le DMP détient {len(vsm)} VSM, attendu {expected!r}.",
                _view_where(run),
            )
        ]
    return [passed("DMP-69", f"VSM montré comme le DMP le détient ({expected!r}).", _view_where(run))]


@decides("DMP-70")
def check_tested_before_feed(run: FeedRun) -> list[Finding]:
    """DMP-70 (SC.DMP/CONF.01): the DUI tests the DMP's existence (TD0.2) on the resident's INS before its feeding."""
    submissions = run.submissions()
    if not run.qualified and not submissions:
        return [_unqualified("DMP-70")]
    if not submissions:
        return [skipped("DMP-70", f"Aucune soumission ITI-41 observée ({_problem(run.answer)}).")]
    first = run.exchanges.index(submissions[0])
    tests = [e for e in run.exchanges[:first] if e.operation == TD02]
    wanted = read_patient_id(submissions[0])
    if not any(e.data.get("patient_id") == wanted for e in tests):
        return [
            failed(
                "DMP-70",
                f"Alimentation (ITI-41) sans test d'existence du DMP (TD0.2) préalable sur l'INS « {wanted} ».",
                _where(submissions[0]),
                ", ".join(e.operation or "?" for e in run.exchanges[:first]) or "aucune requête avant l'ITI-41",
            )
        ]
    return [passed("DMP-70", "Test d'existence du DMP (TD0.2) avant l'alimentation.", _where(submissions[0]))]


@decides("DMP-65")
def check_existence_requests(exchanges: list[Exchange]) -> list[Finding]:
    """DMP-65: the TD0.2 requests among these exchanges (an opening's or a feed's)."""
    tests = [e for e in exchanges if e.operation == TD02]
    if not tests:
        return [skipped("DMP-65", "Aucun test d'existence du DMP (TD0.2) observé : rien à vérifier.")]
    return [f for e in tests for f in check_existence(e)]


@decides("DMP-71")
def check_no_second_download(first: IntegrationRun, second: IntegrationRun) -> list[Finding]:
    """DMP-71 (SC.DMP/UX.36): integrating again never downloads (ITI-43) a document already integrated, nor the same
    one twice, and the record holds each uniqueId once."""
    if first.patient_id is None:
        return [_unqualified("DMP-71")]
    before = {uid for e in first.of(ITI43) for uid in e.data.get("retrieved", [])}
    if not before:
        return [skipped("DMP-71", "Aucun document récupéré à la première intégration : doublon non vérifiable.")]
    out, seen = [], set(before)
    for e in second.of(ITI43):
        for uid in e.data.get("retrieved", []):
            if uid in seen:
                out.append(failed("DMP-71", f"Document {uid} déjà intégré, téléchargé de nouveau (ITI-43).", _where(e)))
            seen.add(uid)
    filed = [d.get("uniqueId") for d in second.received.get(second.resident_id, [])]
    for uid in sorted({u for u in filed if filed.count(u) > 1}, key=str):
        out.append(
            failed(
                "DMP-71",
                f"Document {uid} rangé {filed.count(uid)} fois dans le dossier du résident {second.resident_id}.",
                Location(file=f"residents/{second.resident_id}/documents-recus"),
            )
        )
    return out or [
        passed("DMP-71", f"Aucun document déjà intégré téléchargé de nouveau ({len(before)} déjà présent(s)).")
    ]


@decides("DMP-72")
def check_newer_version(run: IntegrationRun, replaced: str, replacement: str) -> list[Finding]:
    """DMP-72 (SC.DMP/UX.39): after another professional replaced an integrated document in the DMP (new uniqueId,
    RPLC), integrating again makes the record say that this document has a newer version, and which one."""
    if run.patient_id is None:
        return [_unqualified("DMP-72")]
    where = Location(file=f"residents/{run.resident_id}/documents-recus")
    kept = [d for d in run.received.get(run.resident_id, []) if d.get("uniqueId") == replaced]
    if not kept:
        return [failed("DMP-72", f"Document intégré {replaced} absent du dossier du résident.", where)]
    marks = {d.get("remplacePar") for d in kept}
    if marks != {replacement}:
        return [
            failed(
                "DMP-72",
                f"Document {replaced} remplacé dans le DMP par {replacement} : le dossier ne signale pas la nouvelle "
                f"version (remplacePar {', '.join(map(str, marks))}).",
                where,
            )
        ]
    return [passed("DMP-72", f"Nouvelle version {replacement} du document {replaced} signalée.", where)]
