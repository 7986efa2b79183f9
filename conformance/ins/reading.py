"""Read the patient identities of any exported document; unreadable input becomes a finding."""

from __future__ import annotations

from ..decides import decides
from ..inputs import CDA, FHIR, HL7V2, InputDocument, InputTooLarge
from ..model import Finding, Location, failed, skipped
from ..xmlsafe import XmlProblem
from .cda_record import read_cda
from .fhir_patient import document_patients, read_fhir
from .hl7v2_pid import Pid, cut_findings, parse_pids, read_pids
from .identity import Identity
from .rules import InsRules

KINDS = (CDA, HL7V2, FHIR)


def hl7v2_pids(doc: InputDocument) -> tuple[list[Pid], list[str]]:
    """The PID segments of an HL7 v2 document, split once for every INS step."""
    return doc.derived("ins.hl7v2", lambda: parse_pids(doc.text[0], doc.path))


@decides("GEN-01", "GEN-02")
def read_identities(doc: InputDocument, rules: InsRules | None = None) -> tuple[list[Identity], list[Finding]]:
    """Identities of a CDA, HL7 v2 or FHIR document; other kinds carry none."""
    where = Location(file=doc.path)
    try:
        if doc.kind == CDA:
            return read_cda(doc.cda), []
        if doc.kind == HL7V2:
            pids, errors = hl7v2_pids(doc)
            unreadable = [failed("GEN-01", f"Message HL7 v2 illisible : {e}.", where) for e in errors]
            return read_pids(pids, rules), unreadable + cut_findings(pids)
        if doc.kind == FHIR:
            return read_fhir(document_patients(doc), doc.path), []
    except XmlProblem as exc:
        if exc.kind == "too-large":  # the harness's limit (bytes or elements), as InputTooLarge below
            return [], [skipped("GEN-01", exc.message, where)]
        req = "GEN-02" if exc.kind == "doctype" else "GEN-01"
        return [], [failed(req, exc.message, Location(file=doc.path, line=exc.line))]
    except InputTooLarge as exc:  # the harness's limit, not the document's fault
        return [], [skipped("GEN-01", str(exc), where)]
    except ValueError as exc:  # JSON syntax
        return [], [failed("GEN-01", f"JSON mal formé : {exc}", where)]
    return [], []
