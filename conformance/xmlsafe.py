"""The one XML parser of the harness: no entities, no DTD, no network, bounded size.

Exported documents come from systems under test and may be hostile (XXE, entity bombs)
or simply broken (wrong encoding). Every XML byte the harness reads goes through
:func:`parse_xml`, which turns each of those cases into an :class:`XmlProblem` with a
French message instead of a crash, a hang or a network call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from .model import Location

HL7_NS = "urn:hl7-org:v3"
XSLT_NS = "http://www.w3.org/1999/XSL/Transform"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"hl7": HL7_NS, "xsi": "http://www.w3.org/2001/XMLSchema-instance", "xsl": XSLT_NS, "ds": DSIG_NS}
# Prefixes used when a location is written as an XPath; evaluable with NS.
_PREFIX_OF = {uri: prefix for prefix, uri in NS.items()}

MAX_XML_BYTES = 200 * 1024 * 1024
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
    # Per-document memo of element paths: many findings point at the same root, patient or section, and
    # a node's path is its parent's plus one step (the checks never modify the tree).
    _paths: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    def xpath(self, expr: str, node: etree._Element | None = None) -> list:
        return compiled(expr)(self.root if node is None else node)

    def first(self, expr: str, node: etree._Element | None = None):
        found = self.xpath(expr, node)
        return found[0] if found else None

    def derived(self, key: str, compute):
        """Per-document memo of a view that several checks read (a list of nodes, an index)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def locate(self, node: etree._Element | None = None, xpath: str | None = None) -> Location:
        """Location of a node (readable XPath + line), or of the document when node is None."""
        if node is None:
            return Location(file=self.path, xpath=xpath)
        if isinstance(node, etree._ElementUnicodeResult):  # attribute or text result
            parent = node.getparent()
            attr = f"/@{node.attrname}" if node.is_attribute else ""
            base = self.locate(parent)
            return Location(file=self.path, xpath=(base.xpath or "") + attr, line=base.line)
        return Location(file=self.path, xpath=self.base + self._path(node), line=node.sourceline)

    def _path(self, node: etree._Element) -> str:
        """:func:`readable_path` of a node, built on the memoised path of its nearest known ancestor."""
        if not isinstance(node.tag, str):  # comment or processing instruction
            return readable_path(node)
        paths = self._paths
        pending = []
        while node is not None and node not in paths:
            pending.append(node)
            node = node.getparent()
        path = paths[node] if node is not None else ""
        for element in reversed(pending):
            path = paths[element] = path + "/" + _step(element, False)
        return path


@lru_cache(maxsize=4096)
def compiled(expr: str) -> etree.XPath:
    """``expr`` compiled with :data:`NS`, once per process: ``node.xpath(expr)`` compiles it at every call,
    and the checks evaluate the same few hundred expressions on every document."""
    return etree.XPath(expr, namespaces=NS)


@lru_cache(maxsize=4096)
def _step_name(tag: str, strict: bool) -> str:
    """The readable name of an element tag (``hl7:id``, ``id``, ``*[local-name()='x']``), once per tag."""
    namespace, local = tag[1:].split("}", 1) if tag.startswith("{") else ("", tag)
    prefix = _PREFIX_OF.get(namespace)
    if prefix:
        return f"{prefix}:{local}"
    return f"*[local-name()='{local}']" if strict and namespace else local


def _step(node: etree._Element, strict: bool) -> str:
    """One step of :func:`readable_path`: the element's name, with its position among same-named siblings."""
    tag = node.tag
    name = _step_name(tag, strict)
    if node.getparent() is not None:  # a position only among several siblings of the same name
        before = sum(1 for _ in node.itersiblings(tag, preceding=True))
        if before or next(node.itersiblings(tag), None) is not None:
            name += f"[{before + 1}]"
    return name


def readable_path(node: etree._Element, strict: bool = False) -> str:
    """``/hl7:ClinicalDocument/hl7:recordTarget/hl7:patientRole/hl7:id[2]`` for a node; ``strict`` writes an
    element of an unknown namespace as ``*[local-name()='x']`` so that the path evaluates with :data:`NS`."""
    steps = []
    while node is not None and isinstance(node.tag, str):
        steps.append(_step(node, strict))
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


def _doctype_at(head: bytes) -> int:
    """Offset of the first ``<!DOCTYPE`` in any letter case, or -1: a search for ``<!`` then a look at the
    next 7 bytes, where a case-insensitive regular expression compares the 64 KiB head byte by byte."""
    start = head.find(b"<!")
    while start >= 0:
        if head[start + 2 : start + 9].upper() == b"DOCTYPE":
            return start
        start = head.find(b"<!", start + 2)
    return -1


def parse_xml(data: bytes, path: str, max_bytes: int = MAX_XML_BYTES) -> XmlDocument:
    """Parse untrusted XML bytes or raise :class:`XmlProblem` with a French message."""
    if len(data) > max_bytes:
        raise XmlProblem(
            f"Fichier de {len(data)} octets, au-delà de la limite de {max_bytes} octets : non analysé.",
            kind="too-large",
        )
    doctype = _doctype_at(data[:65536])
    if doctype >= 0:
        detail = " avec des déclarations d'entités" if _ENTITY.search(data) else ""
        raise XmlProblem(
            f"Le document contient une déclaration DOCTYPE{detail} : refusée (risque XXE / bombe d'entités), "
            "un document échangé n'en porte pas.",
            line=data[:doctype].count(b"\n") + 1,
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
