"""Layer 1: is this a CDA R2 ClinicalDocument at all?

Bytes that do not parse (malformed XML, DOCTYPE, bad encoding) never reach this layer:
:class:`~dui_conformance.inputs.InputDocument` raises ``XmlProblem`` and GEN-01/GEN-02 report it.
To avoid counting the same defect twice, :func:`check_unreadable` only gives DMP-01 a
« non applicable » finding pointing at GEN; so does a root that is no CDA at all (GEN-01:
document non reconnu). DMP-01 itself fails for a ClinicalDocument root outside the
``urn:hl7-org:v3`` namespace. The ClinicalDocument of an auto-présentable or signed CDA passes,
and its finding names the form and where the document sits in the file.
"""

from __future__ import annotations

from lxml import etree

from ..decides import decides
from ..model import Finding, Location, failed, omitted, passed
from ..xmlsafe import HL7_NS, XmlDocument, XmlProblem
from .common import CDA_ROOT


@decides("DMP-01")
def check_wellformed(doc: XmlDocument, ctx) -> list[Finding]:
    root = doc.root
    if root.tag == CDA_ROOT and doc.form:
        return [
            passed(
                "DMP-01",
                f"Document CDA {doc.form} : ClinicalDocument (urn:hl7-org:v3) lu dans {doc.base} "
                f"(ligne {root.sourceline}) ; toutes les vérifications portent sur lui.",
                doc.locate(root),
            )
        ]
    if root.tag == CDA_ROOT:
        return [
            passed(
                "DMP-01",
                "Document XML bien formé dont la racine est ClinicalDocument (urn:hl7-org:v3).",
                doc.locate(root),
            )
        ]
    if etree.QName(root).localname != "ClinicalDocument":
        return [
            omitted(
                "DMP-01",
                f"Racine {root.tag!s} sans ClinicalDocument d'une forme reconnue : document non "
                "reconnu, défaut compté par GEN-01.",
                doc.locate(root),
            )
        ]
    return [
        failed(
            "DMP-01",
            f"Racine trouvée : {root.tag!s} ; ClinicalDocument dans l'espace de noms {HL7_NS} attendu.",
            doc.locate(root),
        )
    ]


def check_unreadable(path: str, problem: XmlProblem) -> list[Finding]:
    return [
        omitted(
            "DMP-01",
            f"Document CDA illisible ({problem.message}) : défaut déjà compté par GEN-01/GEN-02.",
            Location(file=path, line=problem.line),
        )
    ]
