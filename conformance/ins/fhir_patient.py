"""INS in FHIR (FR Core, R4): read Patient resources wherever FHIR puts one (the resource itself, its
``contained`` resources, Bundle entries, Parameters parameters, at any nesting up to a bound), and check
the INS identifier slices and the identity-reliability extension (INS-14).

The identity is read from the raw JSON so every value keeps its JSON path; the base FHIR
structure is validated with fhir.resources (R4B models, the R4-compatible set it ships).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.patient import Patient

from ..decides import decides
from ..model import Finding, Location, failed, omitted, passed, skipped
from .identity import (
    FR_CORE,
    INS_OIDS,
    OID_NIA,
    OID_NIR,
    OID_NIR_DEMO,
    OID_NIR_TEST,
    Identity,
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


# Nesting of resources (contained, Bundle entries, Parameters parameters and parts) read before giving up: FHIR
# forbids contained resources in a contained one (dom-2), so legitimate exports stay a few levels deep.
MAX_DEPTH = 16
# Patients read (and checked) per file: a DUI export carries its residents, not a population; beyond, the INS
# checks would cost more than the rest of the run for findings no one reads, so the surplus is reported unread.
MAX_PATIENTS = 1000


@dataclass
class FhirPatients:
    """One pass over a FHIR resource: the Patients found (FHIRPath location, resource) in document order, up to
    MAX_PATIENTS; how many there were; the resource types seen; where the nesting bound stopped the reading."""

    found: list[tuple[str, dict]] = field(default_factory=list)
    count: int = 0
    types: dict[str, int] = field(default_factory=dict)
    too_deep: str | None = None


def find_patients(data: Any) -> FhirPatients:
    """Every Patient in a FHIR resource: iterative (no recursion on hostile nesting), linear in the resources, each
    visited once. Resources sit in ``contained``, ``Bundle.entry.resource``, ``Bundle.entry.response.outcome`` and
    ``Parameters.parameter(.part)*.resource`` (FHIR R4)."""
    out = FhirPatients()
    root = _dict(data)
    stack: list[tuple[str, dict, int, bool]] = [(_str(root.get("resourceType")) or "Resource", root, 1, True)]
    while stack:
        path, node, depth, is_resource = stack.pop()
        children: list[tuple[str, Any, bool]] = []
        if is_resource:
            kind = _str(node.get("resourceType")) or "?"
            out.types[kind] = out.types.get(kind, 0) + 1
            if kind == "Patient":
                out.count += 1
                if out.count <= MAX_PATIENTS:
                    out.found.append((path, node))
            children += [(f"{path}.contained[{i}]", c, True) for i, c in enumerate(_list(node.get("contained")))]
            if kind == "Bundle":
                for i, entry in enumerate(_dict(e) for e in _list(node.get("entry"))):
                    children.append((f"{path}.entry[{i}].resource", entry.get("resource"), True))
                    outcome = _dict(entry.get("response")).get("outcome")
                    children.append((f"{path}.entry[{i}].response.outcome", outcome, True))
            elif kind == "Parameters":
                children += [(f"{path}.parameter[{i}]", p, False) for i, p in enumerate(_list(node.get("parameter")))]
        else:
            children.append((f"{path}.resource", node.get("resource"), True))
            children += [(f"{path}.part[{i}]", p, False) for i, p in enumerate(_list(node.get("part")))]
        children = [(p, c, r) for p, c, r in children if isinstance(c, dict)]
        if children and depth >= MAX_DEPTH:
            out.too_deep = out.too_deep or children[0][0]
            continue
        stack += [(p, c, depth + 1, r) for p, c, r in reversed(children)]
    return out


def patients(data: Any) -> list[tuple[str, dict]]:
    """(FHIRPath location, resource) of each Patient read, in document order (see :func:`find_patients`)."""
    return find_patients(data).found


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


def read_fhir(data: Any, path: str) -> list[Identity]:
    return [read_patient(prefix, resource, path) for prefix, resource in patients(data)]


@decides("INS-14")
def _check_identifier(prefix: str, i: int, identifier: dict, path: str) -> list[Finding]:
    where = Location(file=path, xpath=f"{prefix}.identifier[{i}]")
    system, oid = identifier.get("system"), _oid(identifier.get("system"))
    if oid not in INS_OIDS or system != f"urn:oid:{oid}":
        return [
            failed(
                "INS-14",
                f"Identifiant INS au system « {system} » : attendu urn:oid: suivi de l'OID d'une "
                f"autorité d'affectation ({', '.join(INS_OIDS)}).",
                where,
                str(system),
            )
        ]
    out = []
    codings = [_dict(c) for c in _list(_dict(identifier.get("type")).get("coding"))]
    if not any(c.get("system") == ID_TYPE_SYSTEM and c.get("code") == INS_OIDS[oid] for c in codings):
        found = ", ".join(f"{c.get('system')}#{c.get('code')}" for c in codings) or "aucun"
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
                f"Usage de l'identifiant INS « {identifier.get('use')} » : attendu "
                f"{' ou '.join(USES[oid])} pour {INS_OIDS[oid]}.",
                where,
                str(identifier.get("use")),
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
                Location(file=path, xpath=found.found[-1][0]),
            )
        )
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
    found = find_patients(data)
    out = _check_reading(found, path)
    if not found.found:
        return [*out, _no_patient(found, path)]
    return out + [f for prefix, resource in found.found for f in _check_patient(prefix, resource, path)]
