"""One patient identity as read from an exported document, whatever its format.

Every reader (CDA, HL7 v2, FHIR, INSi) fills the same :class:`Identity`, so that each INS
rule is written once. ``where`` keeps, for every field, the place it was read from, so a
finding can point at the exact element, segment field or JSON path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import Location

# Assigning authorities of the INS [segur-spec-facts §1.2: FR Core FRCorePatientINSProfile, SMIN].
OID_NIR = "1.2.250.1.213.1.4.8"
OID_NIA = "1.2.250.1.213.1.4.9"
OID_NIR_TEST = "1.2.250.1.213.1.4.10"
OID_NIR_DEMO = "1.2.250.1.213.1.4.11"
INS_OIDS = {
    OID_NIR: "INS-NIR",
    OID_NIA: "INS-NIA",
    OID_NIR_TEST: "INS-NIR-TEST",
    OID_NIR_DEMO: "INS-NIR-DEMO",
}
PRODUCTION_OIDS = (OID_NIR, OID_NIA)
TEST_OIDS = (OID_NIR_TEST, OID_NIR_DEMO)
# Every INS authority sits under this arc: an id rooted here is read as an attempted INS even when
# its OID is not one of the four, so INS-03 can flag it; the INS trait rules apply only to the four.
INS_OID_ARC = "1.2.250.1.213.1.4."
# The INS-C (computed from the carte Vitale) shares the arc but is not an INS: an obsolete identifier,
# reported once as such, never judged by the INS rules (the SMIN header schematron applies the trait
# rules to roots .8/.9/.10/.11 only) [segur-spec-facts §1.6 fr-core-cs-v2-0203 « INS-C (obsolete
# computed INS) », §3.3 « INS-C has been abandoned »].
OID_INS_C = "1.2.250.1.213.1.4.2"
INS_C_SOURCE = "FR Core fr-core-cs-v2-0203 : INS-C obsolète, abandonné ; segur-spec-facts §1.6 et §3.3"
# HL7 v2 delete value: a field or component sent as "" tells the receiver to delete what it holds; IHE PAM
# France 2.11.2 removes an INS this way (§4.4.3, §4.4.4). It is an instruction, never a value.
HL7_DELETE = '""'
HL7_DELETE_SOURCE = "IHE PAM France 2.11.2 §4.4.3, §4.4.4"

# RNIV statuses [segur-spec-facts §1.3: FR Core FRCoreCodeSystemIdentityStatus].
STATUSES = ("PROV", "RECUP", "VALI", "QUAL")

# Where a status code comes from, which decides what it means [segur-spec-facts §7.2, §7.3].
PAM_FR_0445 = "IHE PAM France 2.11.2, table 0445"  # HL7 v2 PID-32: no RECUP, no QUAL
PAM_FR_STATUSES = ("PROV", "VALI")
FR_CORE = "https://hl7.fr/ig/fhir/core"
CS_IDENTITY_STATUS = f"{FR_CORE}/CodeSystem/fr-core-cs-identity-status"  # PROV, RECUP, VALI, QUAL
CS_FIABILITE = f"{FR_CORE}/CodeSystem/fr-core-cs-fiabilite-identite"  # the 21 of 0445 + RECUP, QUAL
CS_V2_0445 = f"{FR_CORE}/CodeSystem/fr-core-cs-v2-0445"  # legacy copy of PAM FR 0445: no QUAL
STRICT_STATUS_SYSTEMS = (CS_IDENTITY_STATUS, CS_FIABILITE)

SOURCE_KINDS = ("cda", "hl7v2", "fhir", "insi")
# Formats whose identity model has a place for the RNIV status (CDA R2 and INSi have none).
_FORMATS_WITH_STATUS = ("hl7v2", "fhir")


def is_ins_oid(oid: str | None) -> bool:
    """An OID read as an (attempted) INS authority: one of the four, or another one under the INS arc
    (INS-03 flags it), never the obsolete INS-C."""
    return oid is not None and (oid in INS_OIDS or (oid.startswith(INS_OID_ARC) and oid != OID_INS_C))


def is_ins_c(oid: str | None) -> bool:
    return oid == OID_INS_C


@dataclass
class Identity:
    """The INS (matricule + OID) and the five INS traits of one patient, plus RNIV status."""

    source_kind: str
    path: str
    matricule: str | None = None
    oid: str | None = None
    birth_family: str | None = None
    given_list: str | None = None  # every birth first name, space-separated
    first_given: str | None = None
    birth_date: str | None = None  # YYYY-MM-DD / YYYY-MM / YYYY, or raw when unparseable
    sex: str | None = None  # M / F, or the raw code of the source
    birth_place: str | None = None  # COG code
    status: str | None = None
    status_system: str | None = None  # FHIR Coding.system, or PAM_FR_0445 for HL7 v2
    attributes: tuple[str, ...] = ()
    used_family: str | None = None
    used_given: str | None = None
    ins_deleted: bool = False  # the message deletes the INS (HL7 v2 delete value in PID-3)
    ins_c: str | None = None  # value of an obsolete INS-C carried beside (or instead of) the INS
    where: dict[str, Location] = field(default_factory=dict)

    @property
    def carries_ins(self) -> bool:
        """Readers fill ``matricule`` (with "" when its value is missing) only for an
        identifier recognised as an INS, so an empty INS identifier still fails INS-01."""
        return self.matricule is not None

    @property
    def is_ins(self) -> bool:
        """An INS the trait rules apply to: root .8/.9/.10/.11, or an INS type code without OID (INS-03
        flags the missing OID); an unknown OID under the arc is judged by INS-01 to INS-04 only."""
        return self.carries_ins and (not self.oid or self.oid in INS_OIDS)

    def note_ins_c(self, value: str | None, where: Location) -> None:
        """Record an obsolete INS-C (reported once by INS-03); the first one read is kept."""
        if self.ins_c is None:
            self.ins_c = value or ""
            self.where["ins_c"] = where

    @property
    def without_ins(self) -> str:
        """Why no INS rule applies to this identity, in French."""
        if self.ins_deleted:
            return (
                f"INS supprimé par le message pour l'{self.label} (valeur de suppression HL7 « {HL7_DELETE} », "
                f"{HL7_DELETE_SOURCE})"
            )
        if self.ins_c is not None:
            return f"Pas d'INS pour l'{self.label}, seulement un INS-C obsolète (qui n'est pas un INS)"
        return f"Pas d'INS pour l'{self.label}"

    @property
    def format_carries_status(self) -> bool:
        return self.source_kind in _FORMATS_WITH_STATUS

    def locate(self, name: str) -> Location:
        """Where a field was read; the identity itself (or the file) when the field is absent."""
        return self.where.get(name) or self.where.get("identity") or Location(file=self.path)

    @property
    def label(self) -> str:
        """Short French designation used in messages."""
        who = " ".join(p for p in (self.birth_family, self.first_given) if p) or "sans nom"
        return f"identité « {who} »"


_HL7_TS = re.compile(r"^(\d{4})(?:(\d{2})(?:(\d{2})(?:\d{2,6}(?:\.\d+)?)?)?)?(?:[+-]\d{4})?$")
_ISO_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


def normalise_date(raw: str | None) -> str | None:
    """``19790328`` / ``197903281230+0100`` / ``1979-03-28`` → ``1979-03-28``; partial dates keep
    their precision (``1979-03``, ``1979``); anything else is returned unchanged for INS-07."""
    if raw is None:
        return None
    value = raw.strip()
    if _ISO_DATE.match(value):
        return value
    match = _HL7_TS.match(value)
    if not match:
        return value
    return "-".join(part for part in match.groups() if part)
