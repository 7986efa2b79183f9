"""Layer 4: the body. N1 (nonXMLBody: a PDF in base64, IHE XDS-SD) or structuredBody (sections).

The base64 payload is untrusted: its size is bounded before decoding, decoding is strict,
and only the first bytes are inspected, so garbage or a huge payload yields a finding.
"""

from __future__ import annotations

import base64
import binascii
import re

from ..decides import decides
from ..model import Finding, omitted
from ..wording import found
from ..xmlsafe import XmlDocument
from .common import CISIS_TEMPLATE, HL7_FRANCE_TEMPLATE, XDS_SD_TEMPLATE, Check, cda_layer

N1_TEMPLATES = {HL7_FRANCE_TEMPLATE, CISIS_TEMPLATE, XDS_SD_TEMPLATE}
MAX_B64_CHARS = 64 * 1024 * 1024  # ~48 MiB of PDF; beyond that the harness does not decode
_SPACE = re.compile(r"\s+")
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what ``\s`` matches among ASCII characters
N1_IDS = ("DMP-15", "DMP-16", "DMP-17")


def _without_space(raw: str) -> bytes | str:
    """The payload without white space; an ASCII one (any valid base64 payload) by a byte translation, several
    times cheaper than the regular expression on a PDF of a few megabytes."""
    if raw.isascii():
        return raw.encode("ascii").translate(None, _ASCII_SPACE)
    return _SPACE.sub("", raw)


@decides("DMP-15", "DMP-16", "DMP-17")
def _n1(doc: XmlDocument, body) -> list[Finding]:
    out: list[Finding] = []
    c = Check(doc, "DMP-15", "Document N1 : exactement les trois templateIds HL7 France, CI-SIS et IHE XDS-SD.")
    roots = [t.get("root") for t in doc.xpath("hl7:templateId")]
    c.require(
        sorted(roots) == sorted(N1_TEMPLATES),
        f"Un document à corps non structuré porte exactement les templateIds {', '.join(sorted(N1_TEMPLATES))} "
        f"(trouvés : {', '.join(r or '?' for r in roots) or 'aucun'}).",
    )
    out += c.findings()

    text = doc.first("hl7:text", body)
    c = Check(doc, "DMP-16", 'Corps N1 : text mediaType="application/pdf" representation="B64".')
    if c.require(text is not None, "nonXMLBody/text absent.", body):
        c.require(
            text.get("mediaType") == "application/pdf",
            f"nonXMLBody/text/@mediaType {found(text.get('mediaType'))} : application/pdf attendu.",
            text,
        )
        c.require(
            text.get("representation") == "B64",
            f"nonXMLBody/text/@representation {found(text.get('representation'))} : B64 attendu.",
            text,
        )
    out += c.findings(text)

    c = Check(doc, "DMP-17", "Corps N1 : le contenu base64 se décode en un document PDF.")
    if text is not None and text.get("representation") == "B64":
        raw = text.text or ""
        if c.require(
            len(raw) <= MAX_B64_CHARS,
            f"Contenu base64 de {len(raw)} caractères, au-delà de la limite de {MAX_B64_CHARS} : non décodé.",
            text,
        ):
            try:
                pdf = base64.b64decode(_without_space(raw), validate=True)
                c.require(
                    pdf.startswith(b"%PDF-"), "Le contenu décodé ne commence pas par %PDF- : ce n'est pas un PDF.", text
                )
            except (binascii.Error, ValueError) as exc:
                c.fail(f"Contenu base64 invalide : {exc}.", text)
        out += c.findings(text)
    else:
        out.append(omitted("DMP-17", "Pas de contenu base64 à décoder (voir DMP-16).", doc.locate(body)))
    return out


@cda_layer("DMP-15", "DMP-16", "DMP-17", "DMP-18")
def check_body(doc: XmlDocument, ctx) -> list[Finding]:
    non_xml = doc.first("hl7:component/hl7:nonXMLBody")
    structured = doc.first("hl7:component/hl7:structuredBody")
    if non_xml is not None:
        return _n1(doc, non_xml) + [omitted("DMP-18", "Corps non structuré : pas de sections.", doc.locate(non_xml))]
    out = [
        omitted(r, "Corps structuré : règles du document N1 non applicables.", doc.locate(structured)) for r in N1_IDS
    ]
    c = Check(doc, "DMP-18", "Corps structuré : au moins une section.")
    if c.require(structured is not None, "Ni nonXMLBody ni structuredBody dans component."):
        c.require(
            bool(doc.xpath("hl7:component/hl7:section", structured)),
            "structuredBody sans section (component/section).",
            structured,
        )
        roots = [t.get("root") for t in doc.xpath("hl7:templateId")]
        c.require(
            XDS_SD_TEMPLATE not in roots,
            f"templateId XDS-SD {XDS_SD_TEMPLATE} réservé aux documents non structurés (N1).",
        )
    return out + c.findings(structured)
