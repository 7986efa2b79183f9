"""The reference DUI's own CDA → XDS DocumentEntry mapping, written from the facts (segur-spec-facts §2.3, §3.2).

The reference DUI is the harness's witness: if it derived its metadata with the harness's own
``dui_conformance.xds.expected_entry``, a wrong mapping rule would sit in both and the demo would
still pass. So this module reads the CDA header itself and writes the ebRIM slots itself; it shares
only plumbing with the harness (the safe XML parser, the ebRIM namespace and scheme constants, the
``Slot`` writer). ``tests/mocks/dui/test_xds_metadata.py`` compares both derivations on every
fixture CDA and names the rule where they part.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from lxml import etree

from dui_conformance.xds import ebrim
from dui_conformance.xds.build import add_slot, new_urn, q
from dui_conformance.xmlsafe import XmlDocument

HL7 = {"h": "urn:hl7-org:v3"}
INS_ARC = "1.2.250.1.213.1.4."  # INS and former INS-C assigning authorities: never a local identifier
INS_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")  # §1.2
PERSON_OID = "1.2.250.1.71.4.2.1"  # national health-professional ids (§2.1)
STRUCTURE_OID = "1.2.250.1.71.4.2.2"
CLASS_SYSTEM = "1.2.250.1.213.1.1.4.1"  # TRE_A03, JDV_J57 (§3.2)
# classCode for the document types this DUI knows: synthèse (11) for DLU/FLUDT/FLUDR, IPS-FR and VSM, compte
# rendu (10) for the liaison letters (§2.3, §3.2 J57).
CLASS_BY_TYPE = {"74207-2": "11", "60591-5": "11", "SYNTH": "11", "18761-7": "10", "11490-0": "10"}
# formatCode (J60) by the model's templateId (§2.2, §2.3); N1 bodies by their mediaType.
FORMAT_BY_TEMPLATE = {
    "1.2.250.1.213.1.1.1.22": "urn:asip:ci-sis:dlu:2024",
    "1.2.250.1.213.1.1.1.23": "urn:asip:ci-sis:fludt:2017",
    "1.2.250.1.213.1.1.1.24": "urn:asip:ci-sis:fludr:2017",
    "1.2.250.1.213.1.1.1.51": "urn:ihe:pcc:ips:2020",
    "1.2.250.1.213.1.1.1.13": "urn:asip:ci-sis:vsm:2012",
    "1.2.250.1.213.1.1.1.21": "urn:asip:ci-sis:ldl-ees:2017",
    "1.2.250.1.213.1.1.1.29": "urn:asip:ci-sis:ldl-ses:2017",
}
XDS_SD = "1.3.6.1.4.1.19376.1.2.20"
FORMAT_BY_MEDIA = {"application/pdf": "urn:ihe:iti:xds-sd:pdf:2008", "text/plain": "urn:ihe:iti:xds-sd:text:2008"}
# SubmissionSet contentTypeCode: the CNAM/ANS sample's value; the current value set is UNVERIFIED (§3.2).
CONTENT_TYPE = ("04", "1.2.250.1.213.2.2", "Hospitalisation de jour")


@dataclass(frozen=True)
class Coded:
    code: str
    system: str | None = None
    display: str | None = None


@dataclass
class DocumentMetadata:
    """What this DUI declares for one CDA: plain values, in XDS form."""

    patient_id: str | None = None
    source_patient_info: list[str] = field(default_factory=list)
    type_code: Coded | None = None
    class_code: Coded | None = None
    format_code: Coded | None = None
    confidentiality: list[Coded] = field(default_factory=list)
    facility: Coded | None = None
    practice: Coded | None = None
    language: str | None = None
    creation_time: str | None = None
    service_start: str | None = None
    service_stop: str | None = None
    author_person: str | None = None
    author_institution: str | None = None
    author_specialty: str | None = None
    legal_authenticator: str | None = None
    unique_id: str | None = None
    title: str | None = None
    hash: str = ""
    size: int = 0
    mime_type: str = "text/xml"


def _first(root: etree._Element, path: str) -> etree._Element | None:
    found = root.xpath(path, namespaces=HL7)
    return found[0] if found else None


def _words(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    return " ".join("".join(node.itertext()).split()) or None


def _coded(node: etree._Element | None) -> Coded | None:
    if node is None or not node.get("code"):
        return None
    return Coded(node.get("code"), node.get("codeSystem"), node.get("displayName"))


def utc(ts: str | None) -> str | None:
    """HL7 TS (YYYYMMDD[hh[mm[ss]]][±zzzz]) → XDS DTM in UTC at the same precision; no zone: as written."""
    if not ts:
        return None
    value, zone = ts.strip(), None
    for sign in "+-":
        if sign in value[8:]:
            value, zone = value[: value.rindex(sign)], value[value.rindex(sign) :]
    value = value.split(".")[0]
    if not value.isdigit() or len(value) % 2 or len(value) < 4:
        return None
    if zone is None or len(value) < 10:
        return value
    moment = datetime.strptime(value.ljust(14, "0"), "%Y%m%d%H%M%S")
    shift = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    moment = moment - shift if zone[0] == "+" else moment + shift
    return moment.strftime("%Y%m%d%H%M%S")[: len(value)]


def _xcn(entity: etree._Element | None) -> str | None:
    """XCN of a person (§3.2): id^FAMILY^Given^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS."""
    if entity is None or _first(entity, "h:assignedPerson") is None:
        return None
    ident = _first(entity, "h:id")
    family = _words(_first(entity, "h:assignedPerson/h:name/h:family")) or ""
    given = _words(_first(entity, "h:assignedPerson/h:name/h:given")) or ""
    number = ident.get("extension", "") if ident is not None else ""
    root = (ident.get("root") if ident is not None else None) or PERSON_OID
    return f"{number}^{family}^{given}^^^^^^&{root}&ISO^D^^^IDNPS"


def derive(cda: XmlDocument, data: bytes) -> DocumentMetadata:
    """This DUI's DocumentEntry for its CDA (header values, exact bytes)."""
    root = cda.root
    meta = DocumentMetadata(hash=hashlib.sha1(data).hexdigest(), size=len(data))
    idents = [
        i
        for i in root.xpath("h:recordTarget/h:patientRole/h:id", namespaces=HL7)
        if i.get("root") and i.get("extension")
    ]
    ins = next((i for i in idents if i.get("root") in INS_OIDS), None)
    local = next((i for i in idents if not i.get("root").startswith(INS_ARC)), None)
    if ins is not None:
        meta.patient_id = f"{ins.get('extension')}^^^&{ins.get('root')}&ISO^NH"
    elif local is not None:  # no INS: the structure's local identifier (§3.2, PI), never nothing
        meta.patient_id = f"{local.get('extension')}^^^&{local.get('root')}&ISO^PI"
    patient = _first(root, "h:recordTarget/h:patientRole/h:patient")
    if patient is not None:
        family = _words(_first(patient, "h:name/h:family[@qualifier='BR']")) or _words(
            _first(patient, "h:name/h:family")
        )
        given = _words(_first(patient, "h:name/h:given[@qualifier='BR']")) or _words(_first(patient, "h:name/h:given"))
        if family:
            meta.source_patient_info.append(f"PID-5|{family}^{given or ''}^^^^^L")
        birth = _first(patient, "h:birthTime")
        if birth is not None and birth.get("value"):
            meta.source_patient_info.append(f"PID-7|{birth.get('value')[:8]}")
        sex = _first(patient, "h:administrativeGenderCode")
        if sex is not None and sex.get("code"):
            meta.source_patient_info.append(f"PID-8|{sex.get('code')}")
    meta.type_code = _coded(_first(root, "h:code"))
    if meta.type_code and meta.type_code.code in CLASS_BY_TYPE:
        meta.class_code = Coded(CLASS_BY_TYPE[meta.type_code.code], CLASS_SYSTEM)
    templates = [t.get("root") for t in root.xpath("h:templateId", namespaces=HL7)]
    media = _first(root, "h:component/h:nonXMLBody/h:text")
    fmt = next((FORMAT_BY_TEMPLATE[t] for t in templates if t in FORMAT_BY_TEMPLATE), None)
    if fmt is None and XDS_SD in templates and media is not None:
        fmt = FORMAT_BY_MEDIA.get(media.get("mediaType", ""))
    meta.format_code = Coded(fmt) if fmt else None
    meta.confidentiality = [c for c in map(_coded, root.xpath("h:confidentialityCode", namespaces=HL7)) if c]
    meta.facility = _coded(_first(root, "h:componentOf/h:encompassingEncounter/h:location/h:healthCareFacility/h:code"))
    author = _first(root, "h:author[1]/h:assignedAuthor")
    organisation = _first(author, "h:representedOrganization") if author is not None else None
    meta.practice = _coded(_first(organisation, "h:standardIndustryClassCode")) if organisation is not None else None
    language = _first(root, "h:languageCode")
    meta.language = language.get("code") if language is not None else None
    effective = _first(root, "h:effectiveTime")
    meta.creation_time = utc(effective.get("value")) if effective is not None else None
    event = _first(root, "h:documentationOf[1]/h:serviceEvent/h:effectiveTime")
    if event is not None:
        low, high = _first(event, "h:low"), _first(event, "h:high")
        meta.service_start = utc(low.get("value")) if low is not None else None
        meta.service_stop = utc(high.get("value")) if high is not None else None
    if author is not None:
        meta.author_person = _xcn(author)
        if organisation is not None:
            ident = _first(organisation, "h:id")
            name = _words(_first(organisation, "h:name")) or ""
            number = ident.get("extension", "") if ident is not None else ""
            root_oid = (ident.get("root") if ident is not None else None) or STRUCTURE_OID
            meta.author_institution = f"{name}^^^^^&{root_oid}&ISO^IDNST^^^{number}"
        specialty = _coded(_first(author, "h:code"))
        if specialty:
            meta.author_specialty = f"{specialty.code}^{specialty.display or ''}^{specialty.system or ''}"
    meta.legal_authenticator = _xcn(_first(root, "h:legalAuthenticator/h:assignedEntity"))
    doc_id = _first(root, "h:id")
    if doc_id is not None and doc_id.get("root"):
        ext = doc_id.get("extension")
        meta.unique_id = f"{doc_id.get('root')}^{ext}" if ext else doc_id.get("root")
    meta.title = _words(_first(root, "h:title"))
    return meta


def _name(parent: etree._Element, text: str | None) -> None:
    if text:
        etree.SubElement(etree.SubElement(parent, q("rim", "Name")), q("rim", "LocalizedString"), value=text)


def _classification(
    parent: etree._Element, scheme: str, code: Coded | None = None, slots: dict[str, str] | None = None
) -> None:
    node = etree.SubElement(
        parent,
        q("rim", "Classification"),
        classificationScheme=scheme,
        classifiedObject=parent.get("id"),
        nodeRepresentation=code.code if code else "",
        id=new_urn(),
    )
    for name, value in (slots or {}).items():
        add_slot(node, name, [value])
    if code:
        add_slot(node, "codingScheme", [code.system or ""])
        _name(node, code.display or code.code)


def _identifier(parent: etree._Element, scheme: str, value: str, label: str) -> None:
    node = etree.SubElement(
        parent,
        q("rim", "ExternalIdentifier"),
        identificationScheme=scheme,
        value=value,
        registryObject=parent.get("id"),
        id=new_urn(),
    )
    _name(node, label)


def document_entry(meta: DocumentMetadata, entry_id: str, uri: str | None = None) -> etree._Element:
    """``uri``: the document's file name in an XDM medium (IHE_XDM/SUBSET01/DOC0001.XML)."""
    eo = etree.Element(
        q("rim", "ExtrinsicObject"),
        nsmap={"rim": ebrim.RIM},
        id=entry_id,
        mimeType=meta.mime_type,
        objectType=ebrim.DOC_ENTRY_STABLE,
    )
    for name, value in (
        ("creationTime", meta.creation_time),
        ("hash", meta.hash),
        ("languageCode", meta.language),
        ("serviceStartTime", meta.service_start),
        ("serviceStopTime", meta.service_stop),
        ("size", str(meta.size)),
        ("sourcePatientId", meta.patient_id),
        ("legalAuthenticator", meta.legal_authenticator),
        ("URI", uri),
    ):
        if value:
            add_slot(eo, name, [value])
    if meta.source_patient_info:
        add_slot(eo, "sourcePatientInfo", meta.source_patient_info)
    _name(eo, meta.title)
    authors = {
        k: v
        for k, v in (
            ("authorPerson", meta.author_person),
            ("authorInstitution", meta.author_institution),
            ("authorSpecialty", meta.author_specialty),
        )
        if v
    }
    if authors:
        _classification(eo, ebrim.DE_AUTHOR, slots=authors)
    for scheme, code in (
        (ebrim.DE_CLASS, meta.class_code),
        (ebrim.DE_FORMAT, meta.format_code),
        (ebrim.DE_FACILITY, meta.facility),
        (ebrim.DE_PRACTICE, meta.practice),
        (ebrim.DE_TYPE, meta.type_code),
    ):
        if code:
            _classification(eo, scheme, code)
    for code in meta.confidentiality:
        _classification(eo, ebrim.DE_CONFIDENTIALITY, code)
    if meta.patient_id:
        _identifier(eo, ebrim.DE_PATIENT_ID, meta.patient_id, "XDSDocumentEntry.patientId")
    if meta.unique_id:
        _identifier(eo, ebrim.DE_UNIQUE_ID, meta.unique_id, "XDSDocumentEntry.uniqueId")
    return eo


def submission(
    meta: DocumentMetadata, entry_id: str, source_id: str, replaces: str | None = None, uri: str | None = None
) -> etree._Element:
    """SubmitObjectsRequest: one SubmissionSet, one DocumentEntry, HasMember, and RPLC → ``replaces`` if given;
    ``uri`` for the METADATA.XML of an XDM medium."""
    request = etree.Element(q("lcm", "SubmitObjectsRequest"), nsmap={"lcm": ebrim.LCM, "rim": ebrim.RIM})
    objects = etree.SubElement(request, q("rim", "RegistryObjectList"))
    set_id = "SubmissionSet01"
    package = etree.SubElement(objects, q("rim", "RegistryPackage"), id=set_id)
    add_slot(package, "submissionTime", [datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")])
    if meta.author_person:
        _classification(package, ebrim.SS_AUTHOR, slots={"authorPerson": meta.author_person})
    _classification(package, ebrim.SS_CONTENT_TYPE, Coded(*CONTENT_TYPE))
    etree.SubElement(
        package,
        q("rim", "Classification"),
        classifiedObject=set_id,
        classificationNode=ebrim.SUBMISSION_SET_NODE,
        id=new_urn(),
    )
    _identifier(package, ebrim.SS_UNIQUE_ID, f"2.25.{uuid.uuid4().int}", "XDSSubmissionSet.uniqueId")
    _identifier(package, ebrim.SS_SOURCE_ID, source_id, "XDSSubmissionSet.sourceId")
    _identifier(package, ebrim.SS_PATIENT_ID, meta.patient_id or "", "XDSSubmissionSet.patientId")
    objects.append(document_entry(meta, entry_id, uri))
    member = etree.SubElement(
        objects,
        q("rim", "Association"),
        associationType=ebrim.HAS_MEMBER,
        sourceObject=set_id,
        targetObject=entry_id,
        id=new_urn(),
    )
    add_slot(member, "SubmissionSetStatus", ["Original"])
    if replaces:
        etree.SubElement(
            objects,
            q("rim", "Association"),
            associationType=ebrim.RPLC,
            sourceObject=entry_id,
            targetObject=replaces,
            id=new_urn(),
        )
    return request
