"""Compare one DocumentEntry with the metadata its CDA implies, in five reviewer-sized groups.

An ARS reviewer reads "identity", "codes", "times", "authors", "integrity" rather than
twenty slot names, so each group is one requirement: one failure per wrong value, or
one pass that lists what was verified (and what could not be, for want of an expectation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..cda.valuesets import builtin_value_sets
from ..decides import decides
from ..model import Finding, Location, failed, omitted, passed
from ..wording import found
from . import ebrim
from .build import xcn, xon
from .ebrim import Code, RegistryObject
from .expected import ExpectedEntry, Person, mapping

_DTM = re.compile(r"^\d{4}(?:\d{2}){0,5}$")
VISIBILITY_SYSTEM = "1.2.250.1.213.1.1.4.13"  # INVISIBLE_PATIENT, MASQUE_PS… (facts §3.2)
# Value set of each coded DocumentEntry attribute (built-in lists, codes.toml / valuesets.json): the DMP's
# own sets for classCode and formatCode (JDV_J57, JDV_J60), the CI-SIS ones elsewhere (JDV_J02 stands in
# for the DMP's JDV_J61, which is not published in TestContenuCDA).
J57_CLASS_CODE, J60_FORMAT_CODE = "1.2.250.1.213.1.1.5.6", "1.2.250.1.213.1.1.5.8"
VALUE_SETS = (
    ("typeCode", ebrim.DE_TYPE, "1.2.250.1.213.1.1.5.471"),
    ("classCode", ebrim.DE_CLASS, J57_CLASS_CODE),
    ("formatCode", ebrim.DE_FORMAT, J60_FORMAT_CODE),
    ("healthcareFacilityTypeCode", ebrim.DE_FACILITY, "1.2.250.1.213.1.1.5.466"),
    ("practiceSettingCode", ebrim.DE_PRACTICE, "1.2.250.1.213.1.1.5.467"),
    ("confidentialityCode", ebrim.DE_CONFIDENTIALITY, "1.2.250.1.213.1.1.5.463"),
)


@dataclass
class _Group:
    requirement: str
    label: str
    entry: RegistryObject
    expected: ExpectedEntry
    findings: list[Finding] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)

    def fail(self, name: str, message: str, where: Location, expected=None, actual=None, source: str | None = None):
        cda = self.expected.sources.get(source or "")
        # No value deducible from the CDA (no INS for patientId…): say that something was expected, never « None ».
        unknown = "une valeur (aucune déductible du CDA)"
        wanted = f"« {expected!s} »" if expected is not None else unknown
        # A missing value is « rien », a multi-valued slot its values as HL7 repetitions: never None or ['…'].
        actual = "~".join(actual) if isinstance(actual, list) else actual
        got = f"« {actual} »" if actual and actual != "rien" else "rien"
        evidence = f"trouvé : {got} ; attendu : {expected if expected is not None else unknown}"
        if cda:
            evidence += f" ; source CDA : {cda.describe()}"
        # Both values in the message itself: a reader of the report sees the gap without opening the evidence.
        shown = f" Attendu {wanted}, trouvé {got}." if expected is not None or actual else ""
        self.findings.append(failed(self.requirement, f"{name} : {message}{shown}", where, evidence))

    def done(self) -> list[Finding]:
        if self.findings:
            return self.findings
        text = f"{self.label} : valeurs conformes au CDA ({', '.join(self.verified)})"
        if self.open:
            text += f" ; non comparés faute d'attendu déductible du CDA : {', '.join(self.open)}"
        return [passed(self.requirement, text + ".", self.entry.location)]


def split_hl7(value: str | None) -> list[str]:
    return (value or "").split("^")


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def _code_matches(actual: Code, wanted: Code) -> bool:
    return actual.code == wanted.code and (not wanted.scheme or actual.scheme == wanted.scheme)


def _check_code(g: _Group, name: str, scheme: str, wanted: Code | None, source: str) -> None:
    found = g.entry.codes(scheme)
    where = g.entry.where(scheme=scheme)
    if not found:
        g.fail(name, "classification absente.", where, wanted.describe() if wanted else "une valeur", "rien")
        return
    if wanted is None:
        g.open.append(name)
        return
    if not any(_code_matches(c, wanted) for c in found):
        g.fail(
            name,
            "valeur différente de celle du CDA.",
            where,
            wanted.describe(),
            ", ".join(c.describe() for c in found),
            source,
        )
        return
    g.verified.append(name)


def _check_membership(g: _Group, name: str, scheme: str, oid: str) -> None:
    """Every code of a classification belongs to its value set, whether or not the CDA decides its value;
    a code without codingScheme is looked up by itself."""
    vs = builtin_value_sets()[oid]
    for code in g.entry.codes(scheme):
        known = vs.verdict(code.code, code.scheme) if code.scheme else vs.has_code(code.code)
        if known is False:
            g.fail(
                name,
                f"code absent du jeu de valeurs {vs.name} ({vs.oid} ; {vs.source}).",
                g.entry.where(scheme=scheme),
                f"un code de {vs.name}",
                code.describe(),
            )


@decides("DMP-46")
def _identity(entry: RegistryObject, exp: ExpectedEntry) -> list[Finding]:
    g = _Group("DMP-46", "Identité du patient", entry, exp)
    actual = entry.external(ebrim.DE_PATIENT_ID)
    where = entry.where(scheme=ebrim.DE_PATIENT_ID)
    if actual is None:
        g.fail("patientId", "identifiant externe XDSDocumentEntry.patientId absent.", where, exp.patient_id, "rien")
    elif exp.patient_id is None:
        g.open.append("patientId")
    elif actual != exp.patient_id:
        g.fail(
            "patientId",
            "ne correspond pas à l'INS du CDA (format <matricule>^^^&<OID>&ISO^NH).",
            where,
            exp.patient_id,
            actual,
            "patient_id",
        )
    else:
        g.verified.append("patientId")
    info: dict[str, str] = {}
    for value in entry.slots.get("sourcePatientInfo", []):
        key, _, rest = value.partition("|")
        info.setdefault(key.strip(), rest.strip())
    where = entry.where(slot="sourcePatientInfo")
    if not info:
        g.fail(
            "sourcePatientInfo",
            "slot absent (traits PID-5, PID-7, PID-8 attendus).",
            where,
            exp.source_patient_info,
            "rien",
        )
    for key, wanted in exp.source_patient_info.items():
        got = info.get(key)
        same = got is not None and (
            all(_same(a, b) for a, b in zip(split_hl7(wanted)[:2], split_hl7(got)[:2], strict=False))
            if key == "PID-5"
            else got == wanted
        )
        if info and not same:
            g.fail(
                f"sourcePatientInfo {key}",
                "trait différent de celui du CDA.",
                where,
                wanted,
                got,
                "source_patient_info",
            )
        elif same:
            g.verified.append(f"sourcePatientInfo {key}")
    return g.done()


@decides("DMP-47")
def _codes(entry: RegistryObject, exp: ExpectedEntry) -> list[Finding]:
    g = _Group("DMP-47", "Codes de classement", entry, exp)
    _check_code(g, "typeCode", ebrim.DE_TYPE, exp.type_code, "type_code")
    _check_code(g, "classCode", ebrim.DE_CLASS, exp.class_code, "class_code")
    for name, scheme, oid in VALUE_SETS:
        _check_membership(g, name, scheme, oid)
    formats = entry.codes(ebrim.DE_FORMAT)
    where = entry.where(scheme=ebrim.DE_FORMAT)
    if not formats:
        g.fail("formatCode", "classification absente.", where, "un formatCode", "rien")
    elif not exp.format_codes:
        g.open.append("formatCode")
    elif not any(_code_matches(c, w) for c in formats for w in exp.format_codes):
        g.fail(
            "formatCode",
            "ne correspond pas au modèle de document (templateId) du CDA.",
            where,
            " ou ".join(w.code for w in exp.format_codes),
            ", ".join(c.code for c in formats),
            "format_codes",
        )
    else:
        g.verified.append("formatCode")
    _check_code(
        g,
        "healthcareFacilityTypeCode",
        ebrim.DE_FACILITY,
        exp.healthcare_facility_type_code,
        "healthcare_facility_type_code",
    )
    _check_code(g, "practiceSettingCode", ebrim.DE_PRACTICE, exp.practice_setting_code, "practice_setting_code")
    conf = entry.codes(ebrim.DE_CONFIDENTIALITY)
    where = entry.where(scheme=ebrim.DE_CONFIDENTIALITY)
    missing = [w for w in exp.confidentiality_codes if not any(_code_matches(c, w) for c in conf)]
    extra = [
        c
        for c in conf
        if c.scheme != VISIBILITY_SYSTEM and not any(_code_matches(c, w) for w in exp.confidentiality_codes)
    ]
    if not conf:
        g.fail(
            "confidentialityCode",
            "classification absente.",
            where,
            ", ".join(w.describe() for w in exp.confidentiality_codes),
            "rien",
        )
    elif missing or extra:
        g.fail(
            "confidentialityCode",
            "niveau de confidentialité différent de celui du CDA.",
            where,
            ", ".join(w.describe() for w in exp.confidentiality_codes),
            ", ".join(c.describe() for c in conf),
        )
    else:
        g.verified.append("confidentialityCode")
    lang = entry.slot("languageCode")
    # Language tags compare without regard to case (RFC 5646 §2.1.1): en-us is en-US.
    if exp.language_code is not None and (lang or "").casefold() != exp.language_code.casefold():
        g.fail(
            "languageCode",
            "langue différente de celle du CDA.",
            entry.where(slot="languageCode"),
            exp.language_code,
            lang,
            "language_code",
        )
    elif exp.language_code is not None:
        g.verified.append("languageCode")
    if entry.mime_type != exp.mime_type:
        g.fail(
            "mimeType",
            f"trouvé {found(entry.mime_type)} ; {exp.mime_type} attendu pour ce document CDA "
            "(application/xslt+xml pour un CDA auto-présentable, text/xml sinon).",
            entry.location,
            exp.mime_type,
            entry.mime_type,
        )
    else:
        g.verified.append("mimeType")
    return g.done()


@decides("DMP-48")
def _times(entry: RegistryObject, exp: ExpectedEntry) -> list[Finding]:
    g = _Group("DMP-48", "Dates", entry, exp)
    for slot, wanted, source in (
        ("creationTime", exp.creation_time, "creation_time"),
        ("serviceStartTime", exp.service_start_time, "service_times"),
        ("serviceStopTime", exp.service_stop_time, "service_times"),
    ):
        got = entry.slot(slot)
        where = entry.where(slot=slot)
        if got is not None and not _DTM.match(got):
            g.fail(slot, "format invalide (AAAAMMJJ[hh[mm[ss]]] en UTC attendu).", where, "AAAAMMJJhhmmss", got)
        elif wanted is None:
            if got is not None:
                g.open.append(slot)
        elif got is None:
            g.fail(slot, "slot absent alors que le CDA porte la date.", where, wanted, "rien", source)
        elif len(got) < 8 or not (got.startswith(wanted) or wanted.startswith(got)):
            g.fail(slot, "date différente de celle du CDA ramenée en UTC.", where, wanted, got, source)
        else:
            g.verified.append(slot)
    if not g.verified and not g.findings:
        g.fail("creationTime", "aucune date dans les métadonnées.", entry.location, exp.creation_time, "rien")
    return g.done()


def _person_mismatch(wanted: Person, xcn: str) -> bool:
    parts = split_hl7(xcn) + [""] * 3
    return not (
        parts[0] == (wanted.id or parts[0]) and _same(parts[1], wanted.family) and _same(parts[2], wanted.given)
    )


@decides("DMP-49")
def _authors(entry: RegistryObject, exp: ExpectedEntry) -> list[Finding]:
    g = _Group("DMP-49", "Auteur et responsable légal", entry, exp)
    actual = entry.classified(ebrim.DE_AUTHOR)
    if not actual:
        g.fail("author", "aucune classification auteur.", entry.location, "l'auteur du CDA", "rien", "authors")
    for i, wanted in enumerate(exp.authors if actual else ()):
        by_id = [
            a
            for a in actual
            if wanted.person and split_hl7((a.slots.get("authorPerson") or [""])[0])[0] == wanted.person.id
        ]
        found = (by_id or actual[i : i + 1] or actual[:1])[0]
        people = found.slots.get("authorPerson")
        person = people[0] if people else None
        if wanted.person and (person is None or _person_mismatch(wanted.person, person)):
            g.fail(
                "authorPerson",
                "auteur différent de celui du CDA.",
                found.location,
                xcn(wanted.person),
                person,
                "authors",
            )
        elif wanted.person:
            g.verified.append("authorPerson")
        if wanted.institution:
            insts = [split_hl7(v) + [""] * 10 for v in found.slots.get("authorInstitution", [])]
            if not any(
                (not wanted.institution.id or p[9] == wanted.institution.id) and _same(p[0], wanted.institution.name)
                for p in insts
            ):
                g.fail(
                    "authorInstitution",
                    "structure de l'auteur différente de celle du CDA.",
                    found.location,
                    xon(wanted.institution),
                    found.slots.get("authorInstitution"),
                    "authors",
                )
            else:
                g.verified.append("authorInstitution")
        if wanted.specialty:
            specs = [split_hl7(v) for v in found.slots.get("authorSpecialty", [])]
            if not any(p[0] == wanted.specialty.code for p in specs):
                g.fail(
                    "authorSpecialty",
                    "spécialité différente de celle du CDA.",
                    found.location,
                    wanted.specialty.code,
                    found.slots.get("authorSpecialty"),
                    "authors",
                )
            else:
                g.verified.append("authorSpecialty")
    legal = entry.slot("legalAuthenticator")
    where = entry.where(slot="legalAuthenticator")
    if exp.legal_authenticator is None:
        g.open.append("legalAuthenticator")
    elif legal is None:
        g.fail(
            "legalAuthenticator",
            "slot absent alors que le CDA a un responsable légal.",
            where,
            exp.legal_authenticator.id,
            "rien",
            "legal_authenticator",
        )
    elif _person_mismatch(exp.legal_authenticator, legal):
        w = exp.legal_authenticator
        g.fail(
            "legalAuthenticator",
            "responsable légal différent de celui du CDA.",
            where,
            xcn(w),
            legal,
            "legal_authenticator",
        )
    else:
        g.verified.append("legalAuthenticator")
    return g.done()


@decides("DMP-50")
def _integrity(entry: RegistryObject, exp: ExpectedEntry, require_hash: bool) -> list[Finding]:
    g = _Group("DMP-50", "Empreinte, taille et identifiant", entry, exp)
    digest, size = entry.slot("hash"), entry.slot("size")
    if digest is None:
        if require_hash:
            g.fail("hash", "slot absent.", entry.location, exp.hash, "rien")
    elif digest.lower() != exp.hash:
        g.fail(
            "hash",
            "l'empreinte SHA-1 ne correspond pas aux octets du document.",
            entry.where(slot="hash"),
            exp.hash,
            digest,
        )
    else:
        g.verified.append("hash")
    if size is None:
        if require_hash:
            g.fail("size", "slot absent.", entry.location, exp.size, "rien")
    elif size.strip() != str(exp.size):
        g.fail("size", "la taille ne correspond pas aux octets du document.", entry.where(slot="size"), exp.size, size)
    else:
        g.verified.append("size")
    unique = entry.external(ebrim.DE_UNIQUE_ID)
    where = entry.where(scheme=ebrim.DE_UNIQUE_ID)
    if unique is None:
        g.fail("uniqueId", "identifiant externe XDSDocumentEntry.uniqueId absent.", where, exp.unique_id, "rien")
    elif exp.unique_id is None:
        g.open.append("uniqueId")
    elif unique != exp.unique_id:
        g.fail(
            "uniqueId",
            "ne correspond pas à l'identifiant du CDA (ClinicalDocument/id).",
            where,
            exp.unique_id,
            unique,
            "unique_id",
        )
    else:
        g.verified.append("uniqueId")
    return g.done()


def _cx(value: str) -> tuple[str, str, str]:
    """(CX-1 id, CX-4 universal id, CX-5 type) of ``<id>^^^&<OID>&ISO^<type>``."""
    parts = split_hl7(value) + [""] * 5
    authority = parts[3].split("&") + ["", ""]
    return parts[0].strip(), authority[1].strip(), parts[4].strip()


@decides("DMP-56")
def _local_patient(entry: RegistryObject, exp: ExpectedEntry) -> list[Finding]:
    """DMP-56, XDM media only: metadata without an INS name the patient by the CDA's local identifier
    (rule and type code in mapping.toml ``xdm_without_ins``, UNVERIFIED, so it can be switched off)."""
    R, rule = "DMP-56", mapping()["xdm_without_ins"]
    actual = entry.external(ebrim.DE_PATIENT_ID)
    where = entry.where(scheme=ebrim.DE_PATIENT_ID) if actual is not None else entry.location
    ins_oids = {oid for group in mapping()["ins_oids"].values() for oid in group}
    number, oid, kind = _cx(actual or "")
    if not rule["required"]:
        return [omitted(R, "Règle désactivée (mapping.toml [xdm_without_ins] required = false).", where)]
    if oid in ins_oids and kind == "NH":
        return [omitted(R, f"patientId {actual} : INS présent, identifiant local non requis.", where)]
    if exp.patient_id is not None:
        return [omitted(R, "Le CDA porte un INS : patientId attendu est l'INS (voir DMP-46).", where)]
    wanted = " ou ".join(exp.local_patient_ids) or f"<IPP>^^^&<OID de la structure>&ISO^{rule['type_code']}"
    problems = []
    if actual is None:
        problems.append("patientId absent")
    else:
        if kind != rule["type_code"]:
            problems.append(f"type d'identifiant « {kind or 'absent'} » au lieu de {rule['type_code']}")
        if not number or not re.fullmatch(r"[0-2](\.(0|[1-9]\d*))+", oid) or oid.startswith(rule["ins_arc"]):
            problems.append("identifiant ou OID de la structure absent ou invalide")
        if not problems and exp.local_patient_ids and actual not in exp.local_patient_ids:
            problems.append("identifiant local différent de ceux du CDA (recordTarget/patientRole/id)")
    if problems:
        return [
            failed(
                R,
                f"Archive XDM sans INS : {' ; '.join(problems)}. Trouvé « {actual or 'rien'} », attendu "
                f"l'identifiant local du patient « {wanted} ».",
                where,
                f"trouvé : {actual} ; attendu : {wanted}",
            )
        ]
    compared = (
        "égal à l'identifiant local du CDA"
        if exp.local_patient_ids
        else "non comparé au CDA (aucun identifiant local dans patientRole)"
    )
    return [passed(R, f"Archive XDM sans INS : patientId local {actual}, {compared}.", where)]


def check_entry(entry: RegistryObject, expected: ExpectedEntry, xdm: bool = False) -> list[Finding]:
    """All five groups for one DocumentEntry; ``xdm`` for media, where hash and size are mandatory and, without
    an INS, the patientId is the local one (DMP-56)."""
    return (
        _identity(entry, expected)
        + _codes(entry, expected)
        + _times(entry, expected)
        + _authors(entry, expected)
        + _integrity(entry, expected, xdm)
        + (_local_patient(entry, expected) if xdm else [])
    )
