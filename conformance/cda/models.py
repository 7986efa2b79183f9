"""Layer 5: document models used by ESMS (DLU, FLUDT, FLUDR, VSM, LDL-EES/SES, IPS-FR, N1).

The model is recognised by its templateId; what each model requires is data (``models.toml``).
"""

from __future__ import annotations

from dataclasses import replace

from ..decides import decides
from ..model import Finding, omitted
from ..wording import found
from ..xmlsafe import XmlDocument
from .common import Check, cda_layer

MODEL_IDS = ("DMP-19", "DMP-20", "DMP-21", "DMP-22", "DMP-23")


def recognise(doc: XmlDocument, models: list[dict]) -> list[tuple[dict, str]]:
    """Models declared by the document, each with the templateId extension it carries."""
    found = []
    for model in models:
        node = doc.first(f"hl7:templateId[@root='{model['template']}']")
        if node is not None:
            found.append((model, node.get("extension", "")))
    return found


def _matches(node, allowed: list[str]) -> bool:
    for entry in allowed:
        code, _, system = entry.partition("|")
        if node.get("code") == code and (not system or node.get("codeSystem") == system):
            return True
    return False


def retired(model: dict, extension: str) -> str | None:
    """French note when the document declares a model version that is no longer in force (``versions``)."""
    current = model.get("versions")
    if not current or not extension or extension in current:
        return None
    return (
        f"Le document déclare la version « {extension} » du modèle {model['key']} (templateId {model['template']}), "
        f"retirée : version en vigueur {' ou '.join(current)} ({model['source']})."
    )


@decides("DMP-19", "DMP-20", "DMP-21", "DMP-22", "DMP-23")
def _check_model(doc: XmlDocument, model: dict, extension: str = "") -> list[Finding]:
    name = model["label"]
    out: list[Finding] = []
    rules = [
        ("DMP-19", "codes", lambda c: _code(doc, c, model)),
        ("DMP-20", "service_event", lambda c: _service_event(doc, c, model)),
        ("DMP-21", "participants", lambda c: _participants(doc, c, model)),
        ("DMP-22", "sections", lambda c: _sections(doc, c, model)),
        ("DMP-23", "required", lambda c: _required(doc, c, model)),
    ]
    for req, key, rule in rules:
        if not model.get(key):
            out.append(omitted(req, f"{name} : pas d'exigence de ce type dans le modèle.", doc.locate(doc.root)))
            continue
        c = Check(doc, req, f"{name} : {_OK[req]}")
        rule(c)
        out += c.findings()
    note = retired(model, extension)
    return [replace(f, message=f"{f.message} {note}") for f in out] if note else out


_OK = {
    "DMP-19": "code du document conforme au modèle.",
    "DMP-20": "code de l'acte (serviceEvent) conforme au modèle.",
    "DMP-21": "participants obligatoires présents.",
    "DMP-22": "sections obligatoires présentes.",
    "DMP-23": "éléments d'en-tête propres au modèle présents.",
}


def _code(doc, c: Check, model) -> None:
    node = doc.first("hl7:code")
    c.require(
        node is not None and _matches(node, model["codes"]),
        f"Code du document trouvé : {found(node.get('code')) if node is not None else 'aucun élément code'} ; attendu "
        f"{' ou '.join(model['codes'])} pour le modèle {model['key']}.",
        node,
    )


def _service_event(doc, c: Check, model) -> None:
    codes = doc.xpath("hl7:documentationOf/hl7:serviceEvent/hl7:code")
    c.require(
        any(_matches(n, model["service_event"]) for n in codes),
        f"Aucun documentationOf/serviceEvent/code {' ou '.join(model['service_event'])} (modèle {model['key']}).",
        codes[0] if codes else None,
    )


def _participants(doc, c: Check, model) -> None:
    for p in model["participants"]:
        path = f"hl7:participant[@typeCode='{p['typeCode']}'][hl7:functionCode/@code='{p['functionCode']}']"
        c.require(doc.first(path) is not None, f"Participant obligatoire absent : {p['label']}.")


def _section_keys(doc) -> list[tuple[str | None, list[str | None]]]:
    """(code of its first hl7:code, templateId roots) of every section of the body, read once per document."""
    keys = []
    for sec in doc.xpath("hl7:component/hl7:structuredBody//hl7:section"):
        code = doc.first("hl7:code", sec)
        keys.append(
            (code.get("code") if code is not None else None, [t.get("root") for t in doc.xpath("hl7:templateId", sec)])
        )
    return keys


def _sections(doc, c: Check, model) -> None:
    sections = _section_keys(doc)
    for s in model["sections"]:
        present = any(code == s["loinc"] or any(root in s["templates"] for root in roots) for code, roots in sections)
        c.require(
            present,
            f"Section obligatoire absente : {s['label']} (LOINC {s['loinc']}, templateId "
            f"{' ou '.join(s['templates'])}).",
        )


def _required(doc, c: Check, model) -> None:
    for r in model["required"]:
        c.require(doc.first(r["xpath"]) is not None, f"Élément obligatoire pour ce modèle absent : {r['label']}.")


@cda_layer(*MODEL_IDS)
def check_models(doc: XmlDocument, ctx) -> list[Finding]:
    declared = recognise(doc, ctx.models)
    if not declared:
        roots = ", ".join(t.get("root", "?") for t in doc.xpath("hl7:templateId")) or "aucun"
        return [
            omitted(
                r,
                f"Modèle de document hors du périmètre ESMS du harnais (templateIds : {roots}).",
                doc.locate(doc.root),
            )
            for r in MODEL_IDS
        ]
    return [f for model, extension in declared for f in _check_model(doc, model, extension)]
