"""CDA R2 checks (CI-SIS header, bodies, document models, terminology), layered like TestContenuCDA.

Each layer is ``(doc: XmlDocument, ctx: CdaContext) -> list[Finding]``; :data:`LAYERS` lists them
in report order, :func:`check_cda` runs them all.
"""

from __future__ import annotations

from ..inputs import InputDocument
from ..model import Finding
from ..xmlsafe import XmlDocument, XmlProblem
from .body import check_body
from .context import CdaContext, ValueSet, load_value_sets
from .header import check_header, check_id_keys
from .models import check_models
from .official import OfficialReferential, check_official
from .schema import check_schema
from .terminology import check_terminology
from .wellformed import check_unreadable, check_wellformed

LAYERS = [
    ("Document CDA bien formé", check_wellformed),
    ("Schéma CDA R2", check_schema),
    ("En-tête CI-SIS (Structuration minimale)", check_header),
    ("Clés des identifiants nationaux", check_id_keys),
    ("Corps du document", check_body),
    ("Modèle de document", check_models),
    ("Terminologies CI-SIS", check_terminology),
    ("Schématrons officiels", check_official),
]


def check_cda(doc: XmlDocument, ctx: CdaContext) -> list[Finding]:
    return [f for _, layer in LAYERS for f in layer(doc, ctx)]


def check_cda_layers(doc: XmlDocument, ctx: CdaContext) -> list[tuple[str, list[Finding]]]:
    """The same findings, one report section per layer."""
    return [(name, layer(doc, ctx)) for name, layer in LAYERS]


def check_cda_input(document: InputDocument, ctx: CdaContext) -> list[Finding]:
    """Run all layers on an exported file (on the ClinicalDocument it embeds, for an auto-présentable or
    signed CDA); unreadable XML is GEN's finding, DMP-01 only points at it."""
    try:
        doc = document.cda
    except XmlProblem as problem:
        return check_unreadable(document.path, problem)
    return check_cda(doc, ctx)


def check_layer(document: InputDocument, layer: str, ctx: CdaContext) -> list[Finding]:
    """One named layer on an exported file (what a Gherkin step asks for)."""
    functions = dict(LAYERS)
    if layer not in functions:
        raise KeyError(f"Couche CDA inconnue : {layer!r} ; couches : {', '.join(functions)}")
    try:
        doc = document.cda
    except XmlProblem as problem:
        return check_unreadable(document.path, problem)
    return functions[layer](doc, ctx)


__all__ = [
    "LAYERS",
    "CdaContext",
    "OfficialReferential",
    "ValueSet",
    "check_body",
    "check_cda",
    "check_cda_input",
    "check_cda_layers",
    "check_header",
    "check_layer",
    "check_models",
    "check_official",
    "check_schema",
    "check_terminology",
    "check_wellformed",
    "load_value_sets",
]
