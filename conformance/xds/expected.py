"""Derive the DocumentEntry metadata a CDA implies (CI-SIS mapping, facts §2 and §3.2).

The DMP indexes a document by its XDS metadata, not by its content: when the two
disagree, the document is misfiled (wrong patient, wrong class). So the expectation is
read from the CDA header, and every value keeps the CDA location it came from. A value
the mapping cannot decide (unknown typeCode for classCode, unknown model for formatCode)
is left open rather than guessed.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources

from ..inputs import CDA_MIME_TYPES
from ..model import Location
from ..xmlsafe import XmlDocument
from .ebrim import Code

_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$")


@lru_cache(maxsize=1)
def mapping() -> dict:
    """The data file ``mapping.toml`` (uniqueId format, classCode and formatCode tables, VIHF)."""
    return tomllib.loads((resources.files(__package__) / "mapping.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Person:
    id: str | None
    family: str | None
    given: str | None
    id_root: str | None = None


@dataclass(frozen=True)
class Institution:
    name: str | None
    id: str | None
    id_root: str | None = None


@dataclass(frozen=True)
class ExpectedAuthor:
    person: Person | None
    institution: Institution | None
    specialty: Code | None


@dataclass
class ExpectedEntry:
    """Expected DocumentEntry values; ``None`` or an empty tuple means "not decidable from the CDA"."""

    patient_id: str | None
    source_patient_info: dict[str, str]
    type_code: Code | None
    class_code: Code | None
    format_codes: tuple[Code, ...]
    confidentiality_codes: tuple[Code, ...]
    healthcare_facility_type_code: Code | None
    practice_setting_code: Code | None
    language_code: str | None
    mime_type: str
    creation_time: str | None
    service_start_time: str | None
    service_stop_time: str | None
    authors: tuple[ExpectedAuthor, ...]
    legal_authenticator: Person | None
    hash: str
    size: int
    unique_id: str | None
    title: str | None
    sources: dict[str, Location] = field(default_factory=dict)  # field name → CDA location
    local_patient_ids: tuple[str, ...] = ()  # the CDA's non-INS patient ids, CX with the local type (PI)


def to_utc(value: str | None) -> str | None:
    """HL7 TS → XDS DTM in UTC, keeping the precision given (no zone: kept as written)."""
    if not value:
        return None
    m = _TS.match(value.strip())
    if not m:
        return None
    parts = [p for p in m.groups()[:6] if p is not None]
    digits = "".join(parts)
    zone = m.group(7)
    if zone is None or len(parts) < 4:
        return digits
    year, month, day, hour, minute, second = [int(p) for p in parts] + [0] * (6 - len(parts))
    try:
        local = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    utc = local - offset if zone[0] == "+" else local + offset
    return utc.replace(tzinfo=timezone.utc).strftime("%Y%m%d%H%M%S")[: len(digits)]


def _text(node) -> str | None:
    if node is None:
        return None
    value = " ".join("".join(node.itertext()).split()) if hasattr(node, "itertext") else str(node).strip()
    return value or None


def _code(cda: XmlDocument, node) -> Code | None:
    if node is None or not node.get("code"):
        return None
    return Code(node.get("code"), node.get("codeSystem"), node.get("displayName"))


def _person(cda: XmlDocument, entity) -> Person | None:
    if entity is None:
        return None
    ident = cda.first("hl7:id", entity)
    name = cda.first("hl7:assignedPerson/hl7:name", entity)
    return Person(
        id=ident.get("extension") if ident is not None else None,
        family=_text(cda.first("hl7:family", name)) if name is not None else None,
        given=_text(cda.first("hl7:given", name)) if name is not None else None,
        id_root=ident.get("root") if ident is not None else None,
    )


def _institution(cda: XmlDocument, org) -> Institution | None:
    if org is None:
        return None
    ident = cda.first("hl7:id", org)
    return Institution(
        name=_text(cda.first("hl7:name", org)),
        id=ident.get("extension") if ident is not None else None,
        id_root=ident.get("root") if ident is not None else None,
    )


def _unique_id(ident) -> str | None:
    if ident is None or not ident.get("root"):
        return None
    ext = ident.get("extension")
    if mapping()["unique_id"]["format"] == "root^extension" and ext:
        return f"{ident.get('root')}^{ext}"
    return ident.get("root")


def _ins(cda: XmlDocument, environment: str):
    oids = mapping()["ins_oids"]
    wanted = oids.get(environment, oids["test"]) + [o for group in oids.values() for o in group]
    ids = cda.xpath("/hl7:ClinicalDocument/hl7:recordTarget/hl7:patientRole/hl7:id")
    for oid in wanted:
        for ident in ids:
            if ident.get("root") == oid and ident.get("extension"):
                return ident
    return None


def _local_ids(cda: XmlDocument) -> tuple[str, ...]:
    """recordTarget ids outside the INS arc, as the CX an XDM without INS carries (mapping ``xdm_without_ins``)."""
    rule = mapping()["xdm_without_ins"]
    return tuple(
        f"{i.get('extension')}^^^&{i.get('root')}&ISO^{rule['type_code']}"
        for i in cda.xpath("/hl7:ClinicalDocument/hl7:recordTarget/hl7:patientRole/hl7:id")
        if i.get("root") and i.get("extension") and not i.get("root").startswith(rule["ins_arc"])
    )


def _format_codes(cda: XmlDocument) -> tuple[Code, ...]:
    templates = set(cda.xpath("/hl7:ClinicalDocument/hl7:templateId/@root"))
    media = cda.first("/hl7:ClinicalDocument/hl7:component/hl7:nonXMLBody/hl7:text/@mediaType")
    codes: list[Code] = []
    for row in mapping()["format_code"]:
        if row["template"] in templates and row.get("media_type", media) == media:
            codes += [Code(c, row.get("system")) for c in row["codes"]]
    return tuple(codes)


def _source_patient_info(cda: XmlDocument, patient) -> dict[str, str]:
    if patient is None:
        return {}
    info: dict[str, str] = {}
    family = _text(cda.first("hl7:name/hl7:family[@qualifier='BR']", patient)) or _text(
        cda.first("hl7:name/hl7:family", patient)
    )
    given = _text(cda.first("hl7:name/hl7:given[@qualifier='BR']", patient)) or _text(
        cda.first("hl7:name/hl7:given", patient)
    )
    if family:
        info["PID-5"] = f"{family}^{given or ''}^^^^^L"
    birth = cda.first("hl7:birthTime/@value", patient)
    if birth:
        info["PID-7"] = str(birth)[:8]
    sex = cda.first("hl7:administrativeGenderCode/@code", patient)
    if sex:
        info["PID-8"] = str(sex)
    return info


def expected_entry(cda: XmlDocument, data: bytes, environment: str = "test") -> ExpectedEntry:
    """The DocumentEntry metadata implied by a CDA header and its exact bytes (the whole file for an
    auto-présentable or signed CDA, whose mimeType follows its form, segur-spec-facts §7.8)."""
    doc = "/hl7:ClinicalDocument"
    sources: dict[str, Location] = {}

    def pick(name: str, expr: str):
        node = cda.first(doc + expr)
        if node is not None:
            sources[name] = cda.locate(node)
        return node

    def attr(name: str, expr: str, attribute: str) -> str | None:
        node = pick(name, expr)
        return node.get(attribute) if node is not None else None

    ins = _ins(cda, environment)
    patient_id = None
    if ins is not None:
        patient_id = f"{ins.get('extension')}^^^&{ins.get('root')}&ISO^NH"
        sources["patient_id"] = cda.locate(ins)
    patient = pick("source_patient_info", "/hl7:recordTarget/hl7:patientRole/hl7:patient")
    type_code = _code(cda, pick("type_code", "/hl7:code"))
    class_map = mapping()["class_code"]
    class_value = class_map["by_type"].get(type_code.code) if type_code else None
    formats = _format_codes(cda)
    if formats:
        sources["format_codes"] = cda.locate(cda.first(doc + "/hl7:templateId[last()]"))
    if class_value:
        sources["class_code"] = sources["type_code"]
    service_event = pick("service_times", "/hl7:documentationOf[1]/hl7:serviceEvent/hl7:effectiveTime")
    authors = []
    for assigned in cda.xpath(doc + "/hl7:author/hl7:assignedAuthor"):
        sources.setdefault("authors", cda.locate(assigned))
        authors.append(
            ExpectedAuthor(
                person=_person(cda, assigned) if cda.first("hl7:assignedPerson", assigned) is not None else None,
                institution=_institution(cda, cda.first("hl7:representedOrganization", assigned)),
                specialty=_code(cda, cda.first("hl7:code", assigned)),
            )
        )
    return ExpectedEntry(
        patient_id=patient_id,
        source_patient_info=_source_patient_info(cda, patient),
        type_code=type_code,
        class_code=Code(class_value, class_map["system"]) if class_value else None,
        format_codes=formats,
        confidentiality_codes=tuple(
            c for c in (_code(cda, n) for n in cda.xpath(doc + "/hl7:confidentialityCode")) if c
        ),
        healthcare_facility_type_code=_code(
            cda,
            pick(
                "healthcare_facility_type_code",
                "/hl7:componentOf/hl7:encompassingEncounter/hl7:location/hl7:healthCareFacility/hl7:code",
            ),
        ),
        practice_setting_code=_code(
            cda,
            pick(
                "practice_setting_code",
                "/hl7:author[1]/hl7:assignedAuthor/hl7:representedOrganization/hl7:standardIndustryClassCode",
            ),
        ),
        language_code=attr("language_code", "/hl7:languageCode", "code"),
        mime_type=CDA_MIME_TYPES[cda.form],
        creation_time=to_utc(attr("creation_time", "/hl7:effectiveTime", "value")),
        service_start_time=to_utc(cda.first("hl7:low/@value", service_event)) if service_event is not None else None,
        service_stop_time=to_utc(cda.first("hl7:high/@value", service_event)) if service_event is not None else None,
        authors=tuple(authors),
        legal_authenticator=_person(cda, pick("legal_authenticator", "/hl7:legalAuthenticator/hl7:assignedEntity")),
        hash=hashlib.sha1(data).hexdigest(),
        size=len(data),
        unique_id=_unique_id(pick("unique_id", "/hl7:id")),
        title=_text(cda.first(doc + "/hl7:title")),
        sources=sources,
        local_patient_ids=_local_ids(cda),
    )
