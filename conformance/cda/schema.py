"""Layer 2: the CDA R2 schema.

With the official referential, the document is validated against its ``CDA_extended.xsd``
(compiled once per process). Without it, the harness checks what it can honestly state from
the CDA R2 standard itself: the order and cardinality of the ClinicalDocument children
(POCD_MT000040.ClinicalDocument sequence). That built-in check is partial and says so.
"""

from __future__ import annotations

from ..decides import decides
from ..model import Finding, failed, passed
from ..xmlsafe import HL7_NS, XmlDocument
from .common import cda_layer

# POCD_MT000040.ClinicalDocument sequence (HL7 CDA R2 normative schema): name, min, max (None = unbounded).
HEADER_SEQUENCE = [
    ("realmCode", 0, None),
    ("typeId", 1, 1),
    ("templateId", 0, None),
    ("id", 1, 1),
    ("code", 1, 1),
    ("title", 0, 1),
    ("effectiveTime", 1, 1),
    ("confidentialityCode", 1, 1),
    ("languageCode", 0, 1),
    ("setId", 0, 1),
    ("versionNumber", 0, 1),
    ("copyTime", 0, 1),
    ("recordTarget", 1, None),
    ("author", 1, None),
    ("dataEnterer", 0, 1),
    ("informant", 0, None),
    ("custodian", 1, 1),
    ("informationRecipient", 0, None),
    ("legalAuthenticator", 0, 1),
    ("authenticator", 0, None),
    ("participant", 0, None),
    ("inFulfillmentOf", 0, None),
    ("documentationOf", 0, None),
    ("relatedDocument", 0, None),
    ("authorization", 0, None),
    ("componentOf", 0, 1),
    ("component", 1, 1),
]
_POSITION = {name: i for i, (name, _, _) in enumerate(HEADER_SEQUENCE)}
MAX_SCHEMA_ERRORS = 50


@decides("DMP-02")
def _builtin(doc: XmlDocument) -> list[Finding]:
    problems: list[Finding] = []
    counts: dict[str, int] = {}
    last = -1
    for child in doc.root:
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{HL7_NS}}}"):
            continue
        name = child.tag.split("}")[1]
        if name not in _POSITION:
            problems.append(failed("DMP-02", f"Élément <{name}> inconnu dans l'en-tête CDA R2.", doc.locate(child)))
            continue
        if _POSITION[name] < last:
            problems.append(
                failed(
                    "DMP-02",
                    f"Élément <{name}> hors de l'ordre imposé par le schéma CDA R2 "
                    f"(il doit précéder <{HEADER_SEQUENCE[last][0]}>).",
                    doc.locate(child),
                )
            )
        last = max(last, _POSITION[name])
        counts[name] = counts.get(name, 0) + 1
    for name, low, high in HEADER_SEQUENCE:
        n = counts.get(name, 0)
        if n < low:
            problems.append(
                failed(
                    "DMP-02", f"Élément <{name}> obligatoire absent de l'en-tête (schéma CDA R2).", doc.locate(doc.root)
                )
            )
        elif high is not None and n > high:
            problems.append(
                failed(
                    "DMP-02",
                    f"Élément <{name}> présent {n} fois, {high} au plus (schéma CDA R2).",
                    doc.locate(doc.root),
                )
            )
    return problems or [
        passed(
            "DMP-02",
            "Ordre et cardinalités des éléments de l'en-tête conformes au schéma CDA R2 (contrôle intégré "
            "partiel, en-tête seulement ; --referentiel-cda pour la validation XSD complète).",
            doc.locate(doc.root),
        )
    ]


@cda_layer("DMP-02")
def check_schema(doc: XmlDocument, ctx) -> list[Finding]:
    referential = getattr(ctx, "referential", None)
    if referential is None or referential.xsd_path is None:
        return _builtin(doc)
    if referential.schema() is None:  # unusable XSD: DMP-31 reports why, the built-in check stands in
        return _builtin(doc)
    errors = referential.validate_schema(doc)
    name = referential.xsd_path.name
    if not errors:
        return [passed("DMP-02", f"Document valide au regard du schéma officiel {name}.", doc.locate(doc.root))]
    out = [
        failed(
            "DMP-02",
            f"Non conforme au schéma {name} : {msg}",
            doc.locate(node) if node is not None else doc.locate(doc.root),
            evidence=f"ligne {line}",
        )
        for msg, line, node in errors[:MAX_SCHEMA_ERRORS]
    ]
    if len(errors) > MAX_SCHEMA_ERRORS:
        out.append(
            failed("DMP-02", f"… et {len(errors) - MAX_SCHEMA_ERRORS} autres erreurs de schéma.", doc.locate(doc.root))
        )
    return out
