"""Read the patient identities of any exported document; unreadable input becomes a finding."""

from __future__ import annotations

from ..decides import decides
from ..inputs import CDA, FHIR, HL7V2, InputDocument, InputTooLarge
from ..model import Finding, Location, failed, skipped
from ..xmlsafe import XmlProblem
from .cda_record import read_cda
from .fhir_patient import document_patients, read_fhir
from .hl7v2_pid import read_hl7v2
from .identity import Identity
from .rules import InsRules

KINDS = (CDA, HL7V2, FHIR)


@decides("GEN-01", "GEN-02")
def read_identities(doc: InputDocument, rules: InsRules | None = None) -> tuple[list[Identity], list[Finding]]:
    """Identities of a CDA, HL7 v2 or FHIR document; other kinds carry none."""
    where = Location(file=doc.path)
    try:
        if doc.kind == CDA:
            return read_cda(doc.cda), []
        if doc.kind == HL7V2:
            identities, errors = read_hl7v2(doc.text[0], doc.path, rules)
            return identities, [failed("GEN-01", f"Message HL7 v2 illisible : {e}.", where) for e in errors]
        if doc.kind == FHIR:
            return read_fhir(document_patients(doc), doc.path), []
    except XmlProblem as exc:
        req = "GEN-02" if exc.kind == "doctype" else "GEN-01"
        return [], [failed(req, exc.message, Location(file=doc.path, line=exc.line))]
    except InputTooLarge as exc:  # the harness's limit, not the document's fault
        return [], [skipped("GEN-01", str(exc), where)]
    except ValueError as exc:  # JSON syntax
        return [], [failed("GEN-01", f"JSON mal formé : {exc}", where)]
    return [], []
