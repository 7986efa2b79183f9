"""What the reference DUI stores about a resident, and its FHIR Patient export (FR Core).

The export follows FR Core: profile fr-core-patient-ins once an INS is held, the INS
identifier only for a qualified identity, identity-reliability extension always present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FR_CORE = "https://hl7.fr/ig/fhir/core"
PROFILE_PATIENT = f"{FR_CORE}/StructureDefinition/fr-core-patient"
PROFILE_PATIENT_INS = f"{FR_CORE}/StructureDefinition/fr-core-patient-ins"
EXT_RELIABILITY = f"{FR_CORE}/StructureDefinition/fr-core-identity-reliability"
EXT_BIRTH_LIST = f"{FR_CORE}/StructureDefinition/fr-core-patient-birth-list-given-name"
EXT_INSEE = f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code"
EXT_BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
CS_STATUS = f"{FR_CORE}/CodeSystem/fr-core-cs-identity-status"
CS_METHOD = f"{FR_CORE}/CodeSystem/fr-core-cs-method-collection"
CS_VALIDATION = f"{FR_CORE}/CodeSystem/fr-core-cs-mode-validation-identity"
CS_ID_TYPE = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0203"
CS_COMMUNE = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
CS_COUNTRY = "https://mos.esante.gouv.fr/NOS/TRE_R20-Pays/FHIR/TRE-R20-Pays"
INS_TYPES = {
    "1.2.250.1.213.1.4.8": ("INS-NIR", "official"),
    "1.2.250.1.213.1.4.9": ("INS-NIA", "temp"),
    "1.2.250.1.213.1.4.10": ("INS-NIR-TEST", "official"),
    "1.2.250.1.213.1.4.11": ("INS-NIR-DEMO", "official"),
}
LOCAL_ID_SYSTEM = "urn:dui-reference:ipp"
GENDERS = {"M": "male", "F": "female"}


@dataclass
class Resident:
    id: str
    birth_name: str
    first_names: str  # every birth first name, space-separated (ListePrenom)
    first_name: str  # first birth first name (Prenom)
    sex: str | None
    birth_date: str  # AAAA-MM-JJ, 00 for an unknown month/day (INSi "date lunaire")
    birth_place: str | None
    status: str = "PROV"
    method: str = "SM"
    ins: str | None = None  # 15-character matricule
    ins_oid: str | None = None
    insi_date: str | None = None
    validation_mode: str | None = None

    def summary(self) -> dict[str, Any]:
        """Body of the adapter's admission answer."""
        ins = {"matricule": self.ins, "oid": self.ins_oid} if self.ins else None
        return {"id": self.id, "statut": self.status, "ins": ins}


def fhir_date(lunar: str) -> str:
    """INSi lunar date → FHIR partial date: 1938-04-00 → 1938-04, 1938-00-00 → 1938."""
    year, month, day = (lunar.split("-") + ["00", "00"])[:3]
    if month == "00":
        return year
    return f"{year}-{month}" if day == "00" else lunar


def _coding(system: str, code: str) -> dict[str, str]:
    return {"system": system, "code": code}


def _reliability(resident: Resident) -> dict[str, Any]:
    subs = [
        {"url": "identityStatus", "valueCoding": _coding(CS_STATUS, resident.status)},
        {"url": "methodCollection", "valueCoding": _coding(CS_METHOD, resident.method)},
    ]
    if resident.insi_date:
        subs.append({"url": "dateInterrogationINSi", "valueDate": resident.insi_date})
    if resident.validation_mode:
        subs.append({"url": "validationMode", "valueCoding": _coding(CS_VALIDATION, resident.validation_mode)})
    return {"url": EXT_RELIABILITY, "extension": subs}


def patient_resource(resident: Resident, export_ins: bool) -> dict[str, Any]:
    """FR Core Patient; ``export_ins`` says whether the INS identifier may be transmitted."""
    extensions = [_reliability(resident)]
    if resident.birth_place:
        system = CS_COUNTRY if resident.birth_place.startswith("99") else CS_COMMUNE
        extensions.append(
            {
                "url": EXT_BIRTH_PLACE,
                "valueAddress": {
                    "extension": [{"url": EXT_INSEE, "valueCoding": _coding(system, resident.birth_place)}]
                },
            }
        )
    identifiers: list[dict[str, Any]] = [{"use": "usual", "system": LOCAL_ID_SYSTEM, "value": resident.id}]
    if export_ins and resident.ins and resident.ins_oid:
        code, use = INS_TYPES.get(resident.ins_oid, ("INS-NIR", "official"))
        identifiers.append(
            {
                "use": use,
                "type": {"coding": [_coding(CS_ID_TYPE, code)]},
                "system": f"urn:oid:{resident.ins_oid}",
                "value": resident.ins,
            }
        )
    name: dict[str, Any] = {"use": "official", "family": resident.birth_name}
    if resident.first_name:
        name["given"] = [resident.first_name]
    if resident.first_names:
        name["extension"] = [{"url": EXT_BIRTH_LIST, "valueString": resident.first_names}]
    return {
        "resourceType": "Patient",
        "id": resident.id,
        "meta": {"profile": [PROFILE_PATIENT_INS if resident.ins else PROFILE_PATIENT]},
        "extension": extensions,
        "identifier": identifiers,
        "name": [name],
        "gender": GENDERS.get(resident.sex or "", "unknown"),
        "birthDate": fhir_date(resident.birth_date),
    }
