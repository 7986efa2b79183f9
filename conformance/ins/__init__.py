"""INS (Identité Nationale de Santé) offline checks on exported documents.

Readers turn a CDA recordTarget, an HL7 v2 PID or a FHIR Patient into :class:`Identity`
objects; identity checks (INS-01 to INS-11) apply to any of them, structural checks
(INS-12 to INS-14) to one format each. Rules no official text confirmed live in
``rules.toml`` (:func:`load_rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..inputs import CDA, FHIR, HL7V2, InputDocument, InputTooLarge
from ..model import Finding, Location, omitted
from ..run_checks import register_run_check
from ..xmlsafe import XmlProblem
from .cda_record import check_cda_record_target, read_cda
from .fhir_patient import check_fhir_patient, document_patients, read_fhir
from .hl7v2_pid import check_hl7v2_pid, check_pids, read_hl7v2
from .identity import Identity, normalise_date
from .matricule import (
    check_environment,
    check_matricule,
    check_nir_month,
    check_nir_traits,
    check_oid,
    expected_key,
    suggest_environment,
)
from .reading import hl7v2_pids, read_identities
from .rules import InsRules, RulesError, default_rules, load_rules
from .status import check_ins_requires_qual, check_status, check_status_unambiguous
from .traits import (
    character_problems,
    check_birth_date,
    check_birth_name,
    check_birth_place,
    check_given_names,
    check_sex,
)


@dataclass(frozen=True)
class InsContext:
    """What identity checks may depend on besides the identity: environment and rules."""

    environment: str = "test"
    rules: InsRules = field(default_factory=default_rules)


IDENTITY_CHECKS: dict[str, Callable[[Identity, InsContext], list[Finding]]] = {
    "INS-01": lambda i, c: check_matricule(i, c.rules),
    "INS-02": lambda i, c: check_nir_traits(i, c.rules),
    "INS-03": lambda i, c: check_oid(i, c.rules),
    "INS-04": lambda i, c: check_environment(i, c.environment),
    "INS-05": lambda i, c: check_birth_name(i, c.rules),
    "INS-06": lambda i, c: check_given_names(i, c.rules),
    "INS-07": lambda i, c: check_birth_date(i, c.rules),
    "INS-08": lambda i, c: check_sex(i),
    "INS-09": lambda i, c: check_birth_place(i, c.rules),
    "INS-10": lambda i, c: check_ins_requires_qual(i),
    "INS-11": lambda i, c: check_status(i),
    "INS-15": lambda i, c: check_status_unambiguous(i),
    "INS-16": lambda i, c: check_nir_month(i, c.rules),
}

# INS-04 over the whole run: every INS a production one is more likely the --environnement option than each document.
register_run_check("INS-04", lambda findings, settings: suggest_environment(findings, settings.environment))


def check_structure(doc: InputDocument, rules: InsRules | None = None) -> list[Finding]:
    """The format-specific check (INS-12 CDA, INS-13 HL7 v2, INS-14 FHIR); [] for other kinds
    or when the document cannot be read (read_identities reports that once)."""
    try:
        if doc.kind == CDA:
            xml = doc.cda
        elif doc.kind == HL7V2:
            pids, errors = hl7v2_pids(doc)
        elif doc.kind == FHIR:
            data = document_patients(doc)
        else:
            return []
    except (XmlProblem, InputTooLarge, ValueError):
        return []
    if doc.kind == CDA:
        return check_cda_record_target(xml)
    if doc.kind == HL7V2:
        return check_pids(pids, errors, doc.path, rules)
    return check_fhir_patient(data, doc.path)


def check_document(doc: InputDocument, environment: str = "test", rules: InsRules | None = None) -> list[Finding]:
    """Every INS finding for one document: read problems, structural check, identity checks."""
    context = InsContext(environment, rules or default_rules())
    identities, findings = read_identities(doc, context.rules)
    findings += check_structure(doc, context.rules)
    for identity in identities:
        for check in IDENTITY_CHECKS.values():
            findings += check(identity, context)
    if not identities:
        findings += [
            omitted(req, "Aucune identité patient lue dans ce document.", Location(file=doc.path))
            for req in IDENTITY_CHECKS
        ]
    return findings


__all__ = [
    "IDENTITY_CHECKS",
    "Identity",
    "InsContext",
    "InsRules",
    "RulesError",
    "character_problems",
    "check_birth_date",
    "check_birth_name",
    "check_birth_place",
    "check_cda_record_target",
    "check_document",
    "check_environment",
    "suggest_environment",
    "check_fhir_patient",
    "check_given_names",
    "check_hl7v2_pid",
    "check_ins_requires_qual",
    "check_matricule",
    "check_nir_month",
    "check_nir_traits",
    "check_oid",
    "check_sex",
    "check_status",
    "check_status_unambiguous",
    "check_structure",
    "expected_key",
    "load_rules",
    "normalise_date",
    "read_cda",
    "read_fhir",
    "read_hl7v2",
    "read_identities",
]
