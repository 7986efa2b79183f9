"""Layer 1: is this a CDA R2 ClinicalDocument at all?

Bytes that do not parse (malformed XML, DOCTYPE, bad encoding) never reach this layer:
:class:`~dui_conformance.inputs.InputDocument` raises ``XmlProblem`` and GEN-01/GEN-02 report it.
To avoid counting the same defect twice, :func:`check_unreadable` only gives DMP-01 a
« non applicable » finding pointing at GEN; DMP-01 itself fails only for well-formed XML
whose root is not ``{urn:hl7-org:v3}ClinicalDocument``.
"""

from __future__ import annotations

from ..model import Finding, Location, failed, omitted, passed
from ..xmlsafe import HL7_NS, XmlDocument, XmlProblem
from .common import CDA_ROOT


def check_wellformed(doc: XmlDocument, ctx) -> list[Finding]:
    root = doc.root
    if root.tag == CDA_ROOT:
        return [passed("DMP-01", "Document XML bien formé dont la racine est ClinicalDocument (urn:hl7-org:v3).",
                       doc.locate(root))]
    return [failed("DMP-01", f"La racine du document est {root.tag!s} : un document CDA R2 a pour racine "
                   f"ClinicalDocument dans l'espace de noms {HL7_NS}.", doc.locate(root))]


def check_unreadable(path: str, problem: XmlProblem) -> list[Finding]:
    return [omitted("DMP-01", f"Document CDA illisible ({problem.message}) : défaut déjà compté par GEN-01/GEN-02.",
                    Location(file=path, line=problem.line))]
