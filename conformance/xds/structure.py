"""Submission structure rules (ITI TF-3 §4.1, §4.2.3; NIST ``SubmissionStructure``): the shape
of the ebRIM graph, before any value is compared with the CDA."""

from __future__ import annotations

import re

from ..decides import decides
from ..model import Finding, failed, omitted, passed
from ..wording import found
from . import ebrim
from .ebrim import Submission

_URN_UUID = re.compile(r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ENTRY_SLOTS = ("creationTime", "languageCode", "sourcePatientId")
_XDM_SLOTS = ("hash", "size", "URI")
_ENTRY_CODES = {
    ebrim.DE_CLASS: "classCode",
    ebrim.DE_CONFIDENTIALITY: "confidentialityCode",
    ebrim.DE_FORMAT: "formatCode",
    ebrim.DE_FACILITY: "healthcareFacilityTypeCode",
    ebrim.DE_PRACTICE: "practiceSettingCode",
    ebrim.DE_TYPE: "typeCode",
}
_ENTRY_IDS = {ebrim.DE_PATIENT_ID: "XDSDocumentEntry.patientId", ebrim.DE_UNIQUE_ID: "XDSDocumentEntry.uniqueId"}
_SET_IDS = {
    ebrim.SS_PATIENT_ID: "XDSSubmissionSet.patientId",
    ebrim.SS_UNIQUE_ID: "XDSSubmissionSet.uniqueId",
    ebrim.SS_SOURCE_ID: "XDSSubmissionSet.sourceId",
}


@decides("DMP-42")
def check_structure(sub: Submission, documents: set[str] | None = None, xdm: bool = False) -> list[Finding]:
    """DMP-42: one SubmissionSet, complete DocumentEntries, HasMember for each, documents matched.

    ``documents``: ids of the xdsb:Document elements of an ITI-41 request (None for XDM).
    Also DMP-46 for the patientId agreement between SubmissionSet and entries (XDSPatientIdDoesNotMatch).
    """
    R = "DMP-42"
    if not sub.found:
        return [failed(R, "Aucune RegistryObjectList (SubmitObjectsRequest ebRIM 3.0) trouvée.", sub.location)]
    out: list[Finding] = []
    if len(sub.submission_sets) != 1:
        out.append(
            failed(R, f"{len(sub.submission_sets)} SubmissionSet(s) au lieu d'un seul (ITI TF-3 §4.1.4).", sub.location)
        )
    for pkg in sub.unclassified:
        out.append(failed(R, f"RegistryPackage {pkg.id} classé ni comme SubmissionSet ni comme Folder.", pkg.location))
    ss = sub.submission_sets[0] if sub.submission_sets else None
    if ss is not None:
        for scheme, label in _SET_IDS.items():
            if not ss.external(scheme):
                out.append(failed(R, f"SubmissionSet sans {label}.", ss.location))
        if not ss.slot("submissionTime"):
            out.append(failed(R, "SubmissionSet sans slot submissionTime.", ss.location))
        if not ss.codes(ebrim.SS_CONTENT_TYPE):
            out.append(failed(R, "SubmissionSet sans contentTypeCode.", ss.location))
    if not sub.entries:
        out.append(failed(R, "Aucune DocumentEntry (ExtrinsicObject) dans la soumission.", sub.location))
    members = {
        a.target for a in sub.associations if a.type == ebrim.HAS_MEMBER and ss is not None and a.source == ss.id
    }
    for entry in sub.entries:
        missing = [s for s in _ENTRY_SLOTS + (_XDM_SLOTS if xdm else ()) if not entry.slot(s)]
        missing += [label for scheme, label in _ENTRY_CODES.items() if not entry.codes(scheme)]
        missing += [label for scheme, label in _ENTRY_IDS.items() if not entry.external(scheme)]
        if not entry.mime_type:
            missing.append("mimeType")
        if entry.object_type != ebrim.DOC_ENTRY_STABLE:
            missing.append(f"objectType {ebrim.DOC_ENTRY_STABLE}")
        if missing:
            out.append(
                failed(
                    R,
                    f"DocumentEntry {entry.id} : métadonnées obligatoires absentes : {', '.join(missing)}.",
                    entry.location,
                )
            )
        if entry.id not in members:
            out.append(
                failed(
                    R, f"DocumentEntry {entry.id} sans association HasMember depuis le SubmissionSet.", entry.location
                )
            )
        if documents is not None and entry.id not in documents:
            out.append(
                failed(
                    R,
                    f"DocumentEntry {entry.id} sans xdsb:Document correspondant (XDSMissingDocument).",
                    entry.location,
                )
            )
    for doc_id in sorted((documents or set()) - {e.id for e in sub.entries}):
        out.append(failed(R, f"xdsb:Document {doc_id} sans DocumentEntry (XDSMissingDocumentMetadata).", sub.location))
    if not out:
        out.append(
            passed(
                R,
                f"Structure de soumission conforme : 1 SubmissionSet, {len(sub.entries)} DocumentEntry "
                "complète(s), chacune rattachée par HasMember.",
                sub.location,
            )
        )
    return out + _patient_agreement(sub)


@decides("DMP-46")
def _patient_agreement(sub: Submission) -> list[Finding]:
    if len(sub.submission_sets) != 1 or not sub.submission_sets[0].external(ebrim.SS_PATIENT_ID):
        return []
    ss = sub.submission_sets[0]
    wanted = ss.external(ebrim.SS_PATIENT_ID)
    out = [
        failed(
            "DMP-46",
            f"DocumentEntry {e.id} : patientId différent de celui du SubmissionSet (XDSPatientIdDoesNotMatch).",
            e.where(scheme=ebrim.DE_PATIENT_ID),
            f"SubmissionSet : {wanted} ; DocumentEntry : {e.external(ebrim.DE_PATIENT_ID)}",
        )
        for e in sub.entries
        if e.external(ebrim.DE_PATIENT_ID) not in (None, wanted)
    ]
    return out


@decides("DMP-43")
def check_replacement(sub: Submission) -> list[Finding]:
    """DMP-43: an RPLC association goes from a new entry of this submission to an existing entryUUID."""
    R = "DMP-43"
    replacements = [a for a in sub.associations if a.type == ebrim.RPLC]
    if not replacements:
        return [omitted(R, "Pas de remplacement (aucune association RPLC) dans cette soumission.", sub.location)]
    local = {e.id for e in sub.entries}
    out = []
    for a in replacements:
        if a.source not in local:
            out.append(
                failed(
                    R,
                    f"Association RPLC dont la source {a.source} n'est pas une DocumentEntry de la soumission.",
                    a.location,
                )
            )
        if not _URN_UUID.match(a.target) or a.target in local:
            out.append(
                failed(
                    R,
                    f"Association RPLC vers {found(a.target)} : l'entryUUID (urn:uuid:…) d'une entrée déjà "
                    "enregistrée est attendu.",
                    a.location,
                )
            )
        else:
            out.append(
                passed(R, f"Remplacement de {a.target} par {a.source} déclaré par une association RPLC.", a.location)
            )
    return out
