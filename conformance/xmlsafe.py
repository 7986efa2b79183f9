"""The one XML parser of the harness: no entities, no DTD, no network, bounded size.

Exported documents come from systems under test and may be hostile (XXE, entity bombs)
or simply broken (wrong encoding). Every XML byte the harness reads goes through
:func:`parse_xml`, which turns each of those cases into an :class:`XmlProblem` with a
French message instead of a crash, a hang or a network call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .model import Location

HL7_NS = "urn:hl7-org:v3"
XSLT_NS = "http://www.w3.org/1999/XSL/Transform"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"hl7": HL7_NS, "xsi": "http://www.w3.org/2001/XMLSchema-instance", "xsl": XSLT_NS, "ds": DSIG_NS}
# Prefixes used when a location is written as an XPath; evaluable with NS.
_PREFIX_OF = {uri: prefix for prefix, uri in NS.items()}

MAX_XML_BYTES = 200 * 1024 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


class XmlProblem(Exception):
    """The bytes are not an XML document the harness is willing to read."""

    def __init__(self, message: str, line: int | None = None, kind: str = "malformed"):
        super().__init__(message)
        self.message = message
        self.line = line
        self.kind = kind  # malformed | doctype | too-large | encoding


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,  # large N1 PDFs; safe because DOCTYPEs are refused before parsing and size is capped
        remove_comments=False,
        collect_ids=False,
    )


@dataclass
class XmlDocument:
    """A parsed document plus the path it came from, for locations.

    A document extracted from a larger file (the ClinicalDocument of an auto-présentable or signed
    CDA) keeps the file's path, its ``form``, and in ``base`` the XPath of its parent in that file, so
    that every location it gives is valid in the original file (line numbers are kept by the copy).
    """

    tree: etree._ElementTree
    path: str
    form: str = ""
    base: str = ""

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    def xpath(self, expr: str, node: etree._Element | None = None) -> list:
        return (self.root if node is None else node).xpath(expr, namespaces=NS)

    def first(self, expr: str, node: etree._Element | None = None):
        found = self.xpath(expr, node)
        return found[0] if found else None

    def locate(self, node: etree._Element | None = None, xpath: str | None = None) -> Location:
        """Location of a node (readable XPath + line), or of the document when node is None."""
        if node is None:
            return Location(file=self.path, xpath=xpath)
        if isinstance(node, etree._ElementUnicodeResult):  # attribute or text result
            parent = node.getparent()
            attr = f"/@{node.attrname}" if node.is_attribute else ""
            base = self.locate(parent)
            return Location(file=self.path, xpath=(base.xpath or "") + attr, line=base.line)
        return Location(file=self.path, xpath=self.base + readable_path(node), line=node.sourceline)


def readable_path(node: etree._Element, strict: bool = False) -> str:
    """``/hl7:ClinicalDocument/hl7:recordTarget/hl7:patientRole/hl7:id[2]`` for a node; ``strict`` writes an
    element of an unknown namespace as ``*[local-name()='x']`` so that the path evaluates with :data:`NS`."""
    steps = []
    while node is not None and isinstance(node.tag, str):
        qname = etree.QName(node)
        prefix = _PREFIX_OF.get(qname.namespace or "")
        name = f"{prefix}:{qname.localname}" if prefix else qname.localname
        if strict and not prefix and qname.namespace:
            name = f"*[local-name()='{qname.localname}']"
        parent = node.getparent()
        if parent is not None:
            same = [s for s in parent if s.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def parse_xml(data: bytes, path: str, max_bytes: int = MAX_XML_BYTES) -> XmlDocument:
    """Parse untrusted XML bytes or raise :class:`XmlProblem` with a French message."""
    if len(data) > max_bytes:
        raise XmlProblem(
            f"Fichier de {len(data)} octets, au-delà de la limite de {max_bytes} octets : non analysé.",
            kind="too-large",
        )
    head = data[:65536]
    if _DOCTYPE.search(head):
        detail = " avec des déclarations d'entités" if _ENTITY.search(data) else ""
        raise XmlProblem(
            f"Le document contient une déclaration DOCTYPE{detail} : refusée (risque XXE / bombe d'entités), "
            "un document échangé n'en porte pas.",
            line=data[: _DOCTYPE.search(head).start()].count(b"\n") + 1,
            kind="doctype",
        )
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        kind = "encoding" if "encoding" in str(exc).lower() or "utf-8" in str(exc).lower() else "malformed"
        raise XmlProblem(f"XML mal formé : {exc.msg}", line=line, kind=kind) from None
    except ValueError as exc:  # e.g. unicode string with declaration; we always pass bytes
        raise XmlProblem(f"XML illisible : {exc}", kind="malformed") from None
    return XmlDocument(tree=tree, path=path)
