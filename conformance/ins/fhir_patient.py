"""INS in FHIR (FR Core, R4): read Patient resources wherever FHIR puts one (the resource itself, its
``contained`` resources, Bundle entries, Parameters parameters, at any nesting up to a bound), and check
the INS identifier slices and the identity-reliability extension (INS-14).

The identity is read from the raw JSON so every value keeps its JSON path; the base FHIR
structure is validated with fhir.resources (R4B models, the R4-compatible set it ships).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.patient import Patient
from lxml import etree

from .. import wording
from ..decides import decides
from ..inputs import InputDocument
from ..model import Finding, Location, failed, omitted, passed, skipped
from ..xmlsafe import XmlDocument
from .identity import (
    FR_CORE,
    INS_OIDS,
    OID_NIA,
    OID_NIR,
    OID_NIR_DEMO,
    OID_NIR_TEST,
    Identity,
    is_ins_c,
    is_ins_oid,
    normalise_date,
)

RELIABILITY_URL = f"{FR_CORE}/StructureDefinition/fr-core-identity-reliability"
BIRTH_LIST_URL = f"{FR_CORE}/StructureDefinition/fr-core-patient-birth-list-given-name"
BIRTH_PLACE_URL = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
INSEE_URL = f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code"
ID_TYPE_SYSTEM = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0203"
# Allowed Identifier.use per INS slice [segur-spec-facts §1.6: FRCorePatientINSProfile].
USES = {OID_NIR: ("official", "old"), OID_NIA: ("temp",), OID_NIR_TEST: ("official",), OID_NIR_DEMO: ("official",)}
GENDERS = {"male": "M", "female": "F"}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _oid(system: Any) -> str:
    return system.removeprefix("urn:oid:") if isinstance(system, str) else ""


def _ext(element: dict, url: str) -> list[tuple[int, dict]]:
    return [(i, e) for i, e in enumerate(_list(element.get("extension"))) if _dict(e).get("url") == url]


# Nesting (resources, Bundle entries, Parameters parameters and parts) read before giving up: FHIR forbids contained
# resources in a contained one (dom-2), so a legitimate export stays a few levels deep.
MAX_DEPTH = 32
# Patients read (and checked) per file: a DUI export carries its residents, not a population; beyond, the INS
# checks would cost more than the rest of the run for findings no one reads, so the surplus is reported unread.
MAX_PATIENTS = 1000
FHIR_NS = "http://hl7.org/fhir"
_DEEP = "imbrication trop profonde (structure hostile ou corrompue)"
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
# Where FHIR R4 puts a resource inside another, by the kind of node that holds it: (field, kind of its items).
_CHILDREN = {
    "entry": (("resource", "resource"), ("response.outcome", "resource")),
    "parameter": (("resource", "resource"), ("part", "parameter")),
}
_STREAMED = {"contained": (None, "resource"), "entry": ("Bundle", "entry"), "parameter": ("Parameters", "parameter")}


@dataclass
class FhirPatients:
    """One pass over a FHIR resource: the Patients read (FHIRPath location, JSON form) in document order, up to
    MAX_PATIENTS; how many there were; the resource types seen; where the nesting bound stopped the reading; the
    Patients in XML that fhir.resources could not read (location, reason)."""

    found: list[tuple[str, dict]] = field(default_factory=list)
    count: int = 0
    types: dict[str, int] = field(default_factory=dict)
    too_deep: str | None = None
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    capped: bool = True  # False: every Patient (a count of persons, not checks; the tree is already in memory)

    def counts(self, kind: str) -> bool:
        """Count one resource; True for a Patient to read (within MAX_PATIENTS when capped)."""
        self.types[kind] = self.types.get(kind, 0) + 1
        if kind != "Patient":
            return False
        self.count += 1
        return not self.capped or self.count <= MAX_PATIENTS

    def merge(self, other: FhirPatients) -> None:
        for kind, n in other.types.items():
            self.types[kind] = self.types.get(kind, 0) + n
        self.found = (self.found + other.found)[: MAX_PATIENTS if self.capped else None]
        self.count += other.count
        self.too_deep = self.too_deep or other.too_deep
        self.unreadable += other.unreadable


def _walk(out: FhirPatients, path: str, node: Any, depth: int, kind: str) -> None:
    """Every resource under ``node``, iteratively (hostile nesting gives ``too_deep``, never a RecursionError)."""
    stack = [(path, node, depth, kind)]
    while stack:
        path, node, depth, kind = stack.pop()
        if not isinstance(node, dict):
            continue
        children: list[tuple[str, Any, str]] = []
        if kind == "resource":
            rtype = _str(node.get("resourceType")) or "?"
            if out.counts(rtype):
                out.found.append((path, node))
            children += [(f"{path}.contained[{i}]", c, "resource") for i, c in enumerate(_list(node.get("contained")))]
            if rtype in ("Bundle", "Parameters"):
                name = "entry" if rtype == "Bundle" else "parameter"
                children += [(f"{path}.{name}[{i}]", c, name) for i, c in enumerate(_list(node.get(name)))]
        else:
            for name, child_kind in _CHILDREN[kind]:
                head, _, tail = name.partition(".")
                value = _dict(node.get(head)).get(tail) if tail else node.get(head)
                items = enumerate(_list(value)) if child_kind == "parameter" else [(None, value)]
                children += [(f"{path}.{name}" + ("" if i is None else f"[{i}]"), c, child_kind) for i, c in items]
        children = [child for child in children if isinstance(child[1], dict)]
        if children and depth >= MAX_DEPTH:
            out.too_deep = out.too_deep or children[0][0]
            continue
        stack += [(p, c, depth + 1, k) for p, c, k in reversed(children)]


def find_patients(data: Any, capped: bool = True) -> FhirPatients:
    """Every Patient in a parsed FHIR resource, each resource visited once. Resources sit in ``contained``,
    ``Bundle.entry.resource``, ``Bundle.entry.response.outcome`` and ``Parameters.parameter(.part)*.resource``
    (FHIR R4)."""
    out = FhirPatients(capped=capped)
    _walk(out, _str(_dict(data).get("resourceType")) or "Resource", data, 1, "resource")
    return out


def _skip(text: str, i: int) -> int:
    match = _WS.match(text, i)
    return match.end() if match else i


def _decode(text: str, i: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, i)
    except RecursionError:
        raise ValueError(_DEEP) from None


def _expect(text: str, i: int, chars: str) -> str:
    if i >= len(text) or text[i] not in chars:
        raise ValueError(f"« {' » ou « '.join(chars)} » attendu (caractère {i})")
    return text[i]


def _sequence(text: str, i: int, close: str, item: Callable[[int, int], int]) -> int:
    """The items of a JSON array or object, from just after its opening bracket: ``item(n, i)`` reads the n-th
    one at ``i`` and returns where it ends. Returns the index after the closing bracket (no trailing comma)."""
    i, n = _skip(text, i), 0
    if not text.startswith(close, i):
        while True:
            i = _skip(text, item(n, i))
            if _expect(text, i, "," + close) == close:
                break
            i, n = _skip(text, i + 1), n + 1
    return i + 1


def stream_patients(text: str) -> FhirPatients:
    """:func:`find_patients` on FHIR JSON text without building the whole tree: the items of ``contained``,
    ``Bundle.entry`` and ``Parameters.parameter`` are decoded and walked one at a time, so memory holds one item
    and the Patients kept, not a 100 000-entry Bundle. Raises ValueError on malformed JSON, as ``json.loads``."""
    i = _skip(text, 0)
    if not text.startswith("{", i):
        try:
            return find_patients(json.loads(text))
        except RecursionError:
            raise ValueError(_DEEP) from None
    rest: dict[str, Any] = {}
    streamed = FhirPatients()

    def member(_: int, i: int) -> int:
        _expect(text, i, '"')
        key, i = _decode(text, i)
        i = _skip(text, i)
        _expect(text, i, ":")
        i = _skip(text, i + 1)
        root, kind = _STREAMED.get(key, (False, ""))
        root_type = rest.get("resourceType")
        if kind and isinstance(root_type, str) and root in (None, root_type) and text.startswith("[", i):

            def item(n: int, i: int) -> int:
                value, i = _decode(text, i)
                _walk(streamed, f"{root_type}.{key}[{n}]", value, 2, kind)
                return i

            return _sequence(text, i + 1, "]", item)
        rest[key], i = _decode(text, i)
        return i

    i = _skip(text, _sequence(text, i + 1, "}", member))
    if i != len(text):
        raise ValueError(f"données après la ressource (caractère {i})")
    out = find_patients(rest)  # the root and what came before its resourceType
    out.merge(streamed)
    return out


def _xml_patients(xml: XmlDocument) -> FhirPatients:
    """:func:`find_patients` on FHIR XML, on the safely parsed tree: only each Patient goes through fhir.resources
    (the JSON form the checks read), not the whole resource, so the cost is the tree's plus the Patients'."""
    out = FhirPatients()
    rtype = etree.QName(xml.root).localname
    try:
        get_fhir_model_class(rtype)
    except (KeyError, ValueError):
        raise ValueError(f"ressource FHIR XML de type inconnu « {rtype} »") from None
    stack = [(rtype, xml.root, 1, "resource")]
    while stack:
        path, node, depth, kind = stack.pop()
        names: dict[str, int] = {}
        children: list[tuple[str, Any, str]] = []
        if kind == "resource":
            rtype = etree.QName(node).localname
            if out.counts(rtype) and (patient := _xml_patient(node, path, out)) is not None:
                out.found.append((path, patient))
        for child in node.iterchildren(f"{{{FHIR_NS}}}*"):
            name = etree.QName(child).localname
            n = names[name] = names.get(name, -1) + 1
            if kind == "resource" and name == "contained":
                children += [(f"{path}.contained[{n}]", r, "resource") for r in child.iterchildren(f"{{{FHIR_NS}}}*")]
            elif kind == "resource" and (rtype, name) in (("Bundle", "entry"), ("Parameters", "parameter")):
                children.append((f"{path}.{name}[{n}]", child, name))
            elif kind != "resource" and name == "resource":
                children += [(f"{path}.resource", r, "resource") for r in child.iterchildren(f"{{{FHIR_NS}}}*")]
            elif kind == "entry" and name == "response":
                outcome = child.find(f"{{{FHIR_NS}}}outcome")
                resources = outcome.iterchildren(f"{{{FHIR_NS}}}*") if outcome is not None else ()
                children += [(f"{path}.response.outcome", r, "resource") for r in resources]
            elif kind == "parameter" and name == "part":
                children.append((f"{path}.part[{n}]", child, "parameter"))
        if children and depth >= MAX_DEPTH:
            out.too_deep = out.too_deep or children[0][0]
            continue
        stack += [(p, c, depth + 1, k) for p, c, k in reversed(children)]
    return out


def _xml_patient(element: Any, path: str, out: FhirPatients) -> dict | None:
    """A Patient element in its JSON form (fhir.resources), or None with the reason in ``out.unreadable``."""
    try:
        patient = Patient.model_validate_xml(
            etree.tostring(element),
            xmlparser=etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True),
        )
    except Exception as exc:  # noqa: BLE001 - pydantic and lxml errors alike: this Patient is not readable as FHIR
        reason = " ".join(str(exc).split())[:300]
        if isinstance(exc, KeyError):  # fhir.resources' XML reader on an element the Patient model does not have
            reason = f"élément inconnu {reason}"
        elif not isinstance(exc, ValueError):
            reason = f"{type(exc).__name__} {reason}"
        out.unreadable.append((path, reason))
        return None
    return patient.model_dump(mode="json", by_alias=True, exclude_none=True)


def document_patients(doc: InputDocument) -> FhirPatients:
    """The Patients of a FHIR document, JSON (streamed) or XML, read once per document: the readability check
    (GEN-01), the identities and INS-14 share this one pass. Raises as ``doc.json`` does (ValueError,
    XmlProblem, InputTooLarge)."""
    return doc.derived(
        "ins.fhir_patients", lambda: _xml_patients(doc.xml) if doc.is_xml else stream_patients(doc.text[0])
    )


def patients(data: Any) -> list[tuple[str, dict]]:
    """(FHIRPath location, resource) of every Patient, in document order, uncapped (see :func:`find_patients`)."""
    return find_patients(data, capped=False).found


def ins_identifiers(patient: dict) -> list[tuple[int, dict]]:
    """(index, identifier) read as INS: system in the INS OID arc or an INS type code; known OIDs first."""
    found = []
    for i, ident in enumerate(_list(patient.get("identifier"))):
        ident = _dict(ident)
        codes = {_str(_dict(c).get("code")) for c in _list(_dict(ident.get("type")).get("coding"))}
        if is_ins_oid(_oid(ident.get("system"))) or codes & set(INS_OIDS.values()):
            found.append((i, ident))
    return sorted(found, key=lambda item: _oid(item[1].get("system")) not in INS_OIDS)


def _reliability(patient: dict) -> tuple[str | None, str | None, str | None, tuple[str, ...], str | None]:
    """(status, its code system, its JSON sub-path, comment codes, extension sub-path) from
    fr-core-identity-reliability."""
    for i, ext in _ext(patient, RELIABILITY_URL):
        status = system = where = None
        comments = []
        for j, sub in enumerate(_list(ext.get("extension"))):
            sub = _dict(sub)
            if sub.get("url") == "identityStatus":
                coding = _dict(sub.get("valueCoding"))
                status, system, where = (
                    _str(coding.get("code")),
                    _str(coding.get("system")),
                    f"extension[{i}].extension[{j}]",
                )
            elif sub.get("url") == "comment":
                codings = _list(_dict(sub.get("valueCodeableConcept")).get("coding")) or [sub.get("valueCoding")]
                comments += [c for c in (_str(_dict(x).get("code")) for x in codings) if c]
        return status, system, where, tuple(comments), f"extension[{i}]"
    return None, None, None, (), None


def read_patient(prefix: str, patient: dict, path: str) -> Identity:
    def at(sub: str) -> Location:
        return Location(file=path, xpath=f"{prefix}.{sub}" if sub else prefix)

    ident = Identity(source_kind="fhir", path=path, where={"identity": at("")})
    ins = ins_identifiers(patient)
    if ins:
        i, identifier = ins[0]
        ident.matricule, ident.oid = _str(identifier.get("value")) or "", _oid(identifier.get("system")) or None
        ident.where |= {"matricule": at(f"identifier[{i}].value"), "oid": at(f"identifier[{i}].system")}
    for i, identifier in enumerate(_dict(item) for item in _list(patient.get("identifier"))):
        if is_ins_c(_oid(identifier.get("system"))):  # obsolete, never the INS: reported once, as such
            ident.note_ins_c(_str(identifier.get("value")), at(f"identifier[{i}]"))
    names = list(enumerate(_dict(n) for n in _list(patient.get("name"))))
    official = next(((i, n) for i, n in names if n.get("use") == "official"), names[0] if names else None)
    if official:
        i, name = official
        given = _list(name.get("given"))
        ident.birth_family, ident.first_given = _str(name.get("family")), _str(given[0]) if given else None
        lists = _ext(name, BIRTH_LIST_URL)
        ident.given_list = _str(lists[0][1].get("valueString")) if lists else None
        ident.where |= {
            "birth_family": at(f"name[{i}].family"),
            "first_given": at(f"name[{i}].given[0]"),
            "given_list": at(f"name[{i}].extension[{lists[0][0]}]" if lists else f"name[{i}]"),
        }
    usual = next((n for _, n in names if n.get("use") == "usual"), None)
    if usual:
        ident.used_family, ident.used_given = _str(usual.get("family")), _str((_list(usual.get("given")) or [None])[0])
    ident.birth_date = normalise_date(_str(patient.get("birthDate")))
    gender = _str(patient.get("gender"))
    ident.sex = GENDERS.get(gender, gender) if gender else None
    ident.where |= {"birth_date": at("birthDate"), "sex": at("gender")}
    for i, place in _ext(patient, BIRTH_PLACE_URL):
        for j, insee in _ext(_dict(place.get("valueAddress")), INSEE_URL):
            ident.birth_place = _str(_dict(insee.get("valueCoding")).get("code"))
            ident.where["birth_place"] = at(f"extension[{i}].valueAddress.extension[{j}]")
    status, system, status_at, comments, ext_at = _reliability(patient)
    ident.status, ident.status_system, ident.attributes = status, system, comments
    if ext_at:
        ident.where |= {"status": at(status_at or ext_at), "attributes": at(ext_at)}
    return ident


def _found(data: Any) -> FhirPatients:
    return data if isinstance(data, FhirPatients) else find_patients(data)


def read_fhir(data: Any, path: str) -> list[Identity]:
    """Identities of the Patients read: ``data`` a parsed resource or a :class:`FhirPatients` reading."""
    return [read_patient(prefix, resource, path) for prefix, resource in _found(data).found]


@decides("INS-14")
def _check_identifier(prefix: str, i: int, identifier: dict, path: str) -> list[Finding]:
    where = Location(file=path, xpath=f"{prefix}.identifier[{i}]")
    system, oid = identifier.get("system"), _oid(identifier.get("system"))
    if oid not in INS_OIDS or system != f"urn:oid:{oid}":
        return [
            failed(
                "INS-14",
                f"Identifiant INS au system {wording.found(_str(system))} : attendu urn:oid: suivi de l'OID "
                f"d'une autorité d'affectation ({', '.join(INS_OIDS)}).",
                where,
                _str(system),
            )
        ]
    out = []
    codings = [_dict(c) for c in _list(_dict(identifier.get("type")).get("coding"))]
    if not any(c.get("system") == ID_TYPE_SYSTEM and c.get("code") == INS_OIDS[oid] for c in codings):
        found = (
            ", ".join(
                f"{_str(c.get('system')) or '(sans system)'}#{_str(c.get('code')) or '(sans code)'}" for c in codings
            )
            or "aucun"
        )
        out.append(
            failed(
                "INS-14",
                f"Type de l'identifiant INS : attendu {ID_TYPE_SYSTEM}#{INS_OIDS[oid]} pour le "
                f"system {system}, trouvé {found}.",
                where,
                found,
            )
        )
    if identifier.get("use") not in USES[oid]:
        out.append(
            failed(
                "INS-14",
                f"Usage de l'identifiant INS : trouvé {wording.found(_str(identifier.get('use')))} ; attendu "
                f"{' ou '.join(USES[oid])} pour {INS_OIDS[oid]}.",
                where,
                _str(identifier.get("use")),
            )
        )
    if not _str(identifier.get("value")):
        out.append(failed("INS-14", "Identifiant INS sans valeur (matricule).", where))
    return out


@decides("INS-14")
def _check_patient(prefix: str, patient: dict, path: str) -> list[Finding]:
    where = Location(file=path, xpath=prefix)
    out = []
    try:
        Patient.model_validate(patient)
    except (ValueError, TypeError) as exc:
        out.append(
            failed(
                "INS-14",
                f"Ressource Patient non conforme à FHIR R4 : {str(exc).splitlines()[0]}",
                where,
                str(exc)[:500],
            )
        )
    ins = ins_identifiers(patient)
    if not ins:
        return out or [
            omitted("INS-14", "Patient sans identifiant INS : profil FR Core Patient INS non applicable.", where)
        ]
    for i, identifier in ins:
        out += _check_identifier(prefix, i, identifier, path)
    status = _reliability(patient)[0]
    if status is None:
        out.append(failed("INS-14", f"INS transmis sans extension {RELIABILITY_URL} portant identityStatus.", where))
    return out or [
        passed(
            "INS-14",
            "Patient FR Core INS conforme : identifiant INS (system, type, usage) et statut "
            f"{status} dans l'extension identity-reliability.",
            where,
        )
    ]


@decides("INS-14")
def _check_reading(found: FhirPatients, path: str) -> list[Finding]:
    """What the bounded reading left out, said once: a Patient not read is a Patient not checked."""
    out = []
    if found.too_deep:
        out.append(
            skipped(
                "INS-14",
                f"Ressources FHIR imbriquées sur plus de {MAX_DEPTH} niveaux (à partir de {found.too_deep}) : "
                "au-delà, les ressources Patient ne sont pas lues ; attendu : quelques niveaux (Bundle, entrée, "
                "ressource contenue), une ressource contenue n'en contenant pas d'autre (FHIR dom-2).",
                Location(file=path, xpath=found.too_deep),
            )
        )
    if found.count > MAX_PATIENTS:
        out.append(
            skipped(
                "INS-14",
                f"{found.count} ressources Patient dans ce fichier : seules les {MAX_PATIENTS} premières sont lues et "
                f"contrôlées ; attendu : au plus {MAX_PATIENTS} patients par fichier (scinder l'export).",
                Location(file=path, xpath=found.found[-1][0] if found.found else None),
            )
        )
    out += [
        failed("INS-14", f"Ressource Patient non conforme à FHIR R4 : {reason}", Location(file=path, xpath=where))
        for where, reason in found.unreadable
    ]
    return out


def _no_patient(found: FhirPatients, path: str) -> Finding:
    seen = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in found.types.items()) or "aucune ressource"
    return omitted(
        "INS-14",
        f"Aucune ressource Patient dans ce fichier FHIR (trouvé : {seen}) : ni la ressource elle-même, ni ses "
        "ressources contenues (contained), ni une entrée de Bundle, ni un paramètre de Parameters ; les contrôles "
        "INS ne s'appliquent qu'à une ressource Patient.",
        Location(file=path),
    )


def check_fhir_patient(data: Any, path: str) -> list[Finding]:
    """INS-14: INS identifier with its urn:oid system, INS type and use; status in identity-reliability; for every
    Patient read, wherever it sits."""
    found = _found(data)
    out = _check_reading(found, path)
    if not found.count:
        return [*out, _no_patient(found, path)]
    return out + [f for prefix, resource in found.found for f in _check_patient(prefix, resource, path)]
