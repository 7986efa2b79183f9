"""GEN checks: can the harness read an exported document at all, and is it safe to?

These run first on every input so that a broken or hostile file yields one clear
finding instead of a cascade of confusing ones from the service checks.
"""

from __future__ import annotations

import re

from lxml import etree

from .decides import decides
from .inputs import CDA, FHIR, HL7V2, KIND_LABELS, NOT_READ, UNKNOWN, XML, InputDocument, InputTooLarge
from .ins.fhir_patient import document_patients
from .model import Finding, Location, failed, omitted, passed, skipped
from .xmlsafe import HL7_NS, XmlProblem

XML_KINDS = {CDA, XML}
_MSH18 = re.compile(r"^MSH(.)(?:[^\r\n]*?\1){16}([^\r\n|^~\\&]*)")


EXPECTED_KINDS = (
    "attendu : un document CDA R2 (ClinicalDocument, éventuellement auto-présentable ou signé), "
    "un message HL7 v2, une ressource FHIR (JSON ou XML), une requête ITI-41 ou une archive IHE_XDM.ZIP."
)


@decides("GEN-01")
def check_readable(doc: InputDocument) -> list[Finding]:
    """GEN-01: recognised kind, correct encoding, well-formed content.

    An input the harness cannot check (another XML root, an empty file, binary or unknown text) fails:
    passing over it in silence would let a run that checked nothing look conformant. An entry it did not read
    (a link, a FIFO, a socket, a file or folder it may not read) is « non concluant » for the same reason;
    only a link to a file checked on its own is « non applicable ».
    """
    where = Location(file=doc.path)
    if doc.problem is not None:
        return [(skipped if doc.problem.blocking else omitted)("GEN-01", doc.problem.message, where)]
    if doc.kind == UNKNOWN:
        try:
            seen = _describe_unknown(doc.data)
        except InputTooLarge as exc:
            return [skipped("GEN-01", str(exc), where)]
        return [failed("GEN-01", f"Document non reconnu : {seen} ; {EXPECTED_KINDS}", where)]
    if doc.kind not in XML_KINDS | {FHIR, HL7V2}:
        return [
            omitted(
                "GEN-01",
                f"{KIND_LABELS[doc.kind].capitalize()} : lisibilité vérifiée par les scénarios de ce type.",
                where,
            )
        ]
    try:
        if doc.kind in XML_KINDS:
            _ = doc.xml  # parsing is the check: it raises on bad input
        elif doc.kind == FHIR:
            _ = document_patients(doc)  # one streamed pass, shared with the INS scenarios
        elif doc.kind == HL7V2:
            return _check_hl7v2_encoding(doc)
    except InputTooLarge as exc:
        return [skipped("GEN-01", str(exc), where)]
    except XmlProblem as exc:
        if exc.kind == "doctype":
            return [omitted("GEN-01", "Lecture refusée pour raison de sécurité (voir GEN-02).", where)]
        if exc.kind == "too-large":
            return [skipped("GEN-01", exc.message, where)]
        return [failed("GEN-01", exc.message, Location(file=doc.path, line=exc.line))]
    except ValueError as exc:
        return [failed("GEN-01", f"{'Ressource FHIR illisible' if doc.is_xml else 'JSON mal formé'} : {exc}", where)]
    if doc.kind in XML_KINDS:
        return _check_xml_root(doc)
    return [passed("GEN-01", f"{KIND_LABELS[doc.kind].capitalize()} lisible et bien formé.", where)]


@decides("GEN-01")
def _check_xml_root(doc: InputDocument) -> list[Finding]:
    """A well-formed XML file is checkable only as a CDA: its root, or the one an auto-présentable or signed CDA
    embeds."""
    root, cda = doc.xml.root, doc.cda
    if etree.QName(cda.root).localname == "ClinicalDocument":
        if cda.form:
            return [
                passed(
                    "GEN-01",
                    f"Document CDA R2 {cda.form}, lisible et bien formé : ClinicalDocument extrait de "
                    f"{cda.base} (ligne {cda.root.sourceline}).",
                    doc.xml.locate(root),
                )
            ]
        return [passed("GEN-01", "Document CDA R2 lisible et bien formé.", doc.xml.locate(root))]
    qname = etree.QName(root)
    if qname.namespace == HL7_NS:
        seen = f"message ou document HL7 v3 de racine « {qname.localname} » (urn:hl7-org:v3)"
    else:
        seen = f"XML de racine « {qname.localname} » (espace de noms {qname.namespace or 'aucun'})"
    if doc.kind == CDA:
        seen += ", sans ClinicalDocument d'une forme reconnue (auto-présentable, signé)"
    return [failed("GEN-01", f"Document non reconnu : {seen} ; {EXPECTED_KINDS}", doc.xml.locate(root))]


def _describe_unknown(data: bytes) -> str:
    """What an unrecognised file looks like, for the finding."""
    if not data.strip():
        return "fichier vide" if not data else "fichier ne contenant que des blancs"
    head = data[:512]
    if head.startswith(b"%PDF"):
        return "document PDF nu (un PDF se transmet encapsulé dans un CDA N1)"
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > len(head) // 10:
        return f"contenu binaire (premiers octets : {head[:8].hex(' ')})"
    text = head.decode("utf-8", errors="replace").strip()
    if text.startswith(("{", "[")):
        return "JSON sans resourceType (pas une ressource FHIR)"
    return f"texte d'un format inconnu (début : « {' '.join(text.split())[:60]} »)"


@decides("GEN-01")
def _check_hl7v2_encoding(doc: InputDocument) -> list[Finding]:
    """HL7 v2 declares its character set in MSH-18; the bytes must match it."""
    text, used = doc.text
    match = _MSH18.match(text.lstrip("\x0b \r\n\t"))
    declared = match.group(2).strip() if match else ""
    where = Location(file=doc.path, xpath="MSH-18", line=1)
    latin = {"8859/1", "8859/15"}
    if used == "iso-8859-1" and declared not in latin:
        return [failed("GEN-01", f"Octets non UTF-8 alors que MSH-18 déclare « {declared or 'rien (ASCII)'} ».", where)]
    if used == "utf-8" and declared in latin and any(ord(c) > 127 for c in text):
        return [failed("GEN-01", f"Contenu encodé en UTF-8 alors que MSH-18 déclare « {declared} ».", where)]
    if used == "utf-8" and not declared and any(ord(c) > 127 for c in text):
        return [failed("GEN-01", "Caractères non ASCII sans jeu de caractères déclaré en MSH-18.", where)]
    return [passed("GEN-01", f"Message HL7 v2 lisible (encodage {declared or 'ASCII'}).", where)]


@decides("GEN-02")
def check_no_doctype(doc: InputDocument) -> list[Finding]:
    """GEN-02: no DOCTYPE or entity declaration in an XML document."""
    where = Location(file=doc.path)
    if doc.kind == NOT_READ:
        return [omitted("GEN-02", "Entrée non lue (voir GEN-01) : règle sans objet.", where)]
    try:
        if not doc.is_xml:
            return [omitted("GEN-02", "Document non XML : règle sans objet.", where)]
        _ = doc.xml
    except XmlProblem as exc:
        if exc.kind == "doctype":
            return [failed("GEN-02", exc.message, Location(file=doc.path, line=exc.line))]
        return [skipped("GEN-02", "XML illisible : absence de DOCTYPE non vérifiable (voir GEN-01).", where)]
    except InputTooLarge as exc:
        return [skipped("GEN-02", str(exc), where)]
    return [passed("GEN-02", "Aucune déclaration DOCTYPE ni entité.", where)]
