"""The one XML parser of the harness: no entities, no DTD, no network, bounded size.

Exported documents come from systems under test and may be hostile (XXE, entity bombs)
or simply broken (wrong encoding). Every XML byte the harness reads goes through
:func:`parse_xml`, which turns each of those cases into an :class:`XmlProblem` with a
French message instead of a crash, a hang or a network call.

The parser itself decides whether a document declares a DOCTYPE (wherever it sits in the prolog, in
whatever encoding) and stops there, before any entity is declared or expanded (internal entities are
expanded in attribute values even with ``resolve_entities=False``); a resolver refuses every external
resource, so that nothing (``/dev/urandom``, a local DTD, a URL) is ever opened.
"""

from __future__ import annotations

import io
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
# A tree costs far more than its bytes for tiny elements (~26 times: a 190 MB CDA of empty elements took
# 4.9 GB): past this many elements (~300 MiB for a whole check) a document is refused before its tree is built
# (BENCHMARKS.md, « Grand CDA de petits éléments »). Every element starts with a « < » byte, in any encoding:
# a document with fewer of them is not counted.
MAX_XML_ELEMENTS = 2_000_000


class XmlProblem(Exception):
    """The bytes are not an XML document the harness is willing to read."""

    def __init__(self, message: str, line: int | None = None, kind: str = "malformed"):
        super().__init__(message)
        self.message = message
        self.line = line
        self.kind = kind  # malformed | doctype | too-large | encoding


class _RefuseAll(etree.Resolver):
    """Answers every external resource (DTD, parameter entity) with nothing: libxml2 asks for a parameter
    entity referenced in an internal subset even with ``load_dtd=False``, and ``/dev/urandom`` never ends."""

    def resolve(self, system_url, public_id, context):
        return self.resolve_string("", context)


class _Doctype(Exception):
    """Raised by :class:`_Prolog` at the DOCTYPE: the parser stops before reading its internal subset."""


class _RootReached(Exception):
    """Raised by :class:`_Prolog` at the root element: no DOCTYPE can come after it."""


class _Prolog:
    """Parser target that only reads the prolog, where XML allows a DOCTYPE."""

    def doctype(self, name, public_id, system_url):
        raise _Doctype(name, system_url or public_id)

    def start(self, tag, attrib, nsmap=None):
        raise _RootReached

    def close(self) -> None:
        return None


_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=True,  # large N1 PDFs; safe because size and element count are capped and DOCTYPEs refused
    remove_comments=False,
    collect_ids=False,
)


def _parser(**target) -> etree.XMLParser:
    parser = etree.XMLParser(**_OPTIONS, **target)
    parser.resolvers.add(_RefuseAll())
    return parser


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


def _refuse_doctype(data: bytes) -> None:
    """Raise when the parser meets a DOCTYPE in the prolog (behind any comment, in any encoding): decided by
    the parser itself, which stops there, before an entity is declared, loaded or expanded."""
    try:
        etree.fromstring(data, _parser(target=_Prolog()))
        return  # an empty prolog and no root: the full parse reports it
    except _Doctype as seen:
        name, external = seen.args
    except (_RootReached, etree.XMLSyntaxError):  # no DOCTYPE; a syntax error is the full parse's to report
        return
    detail = f" « {name} »" + (f" vers « {external} » (non ouvert)" if external else "")
    if b"<!ENTITY" in data:  # wording only: the parser decided
        detail += " avec des déclarations d'entités"
    at = data.find(b"<!DOCTYPE")  # only to locate it (a UTF-16 file has no line here)
    raise XmlProblem(
        f"Le document contient une déclaration DOCTYPE{detail} : refusée (risque XXE / bombe d'entités), "
        "un document échangé n'en porte pas.",
        line=data[:at].count(b"\n") + 1 if at >= 0 else None,
        kind="doctype",
    )


def _count_elements(data: bytes, limit: int) -> int:
    """Elements of the document, counted on a stream whose elements are dropped as they end (bounded memory),
    stopping past ``limit``; the same options and resolver as the real parse."""
    events = etree.iterparse(io.BytesIO(data), events=("end",), **_OPTIONS)
    events.resolvers.add(_RefuseAll())
    count = 0
    for _, element in events:
        count += 1
        if count > limit:
            break
        element.clear(keep_tail=False)
        parent = element.getparent()
        if parent is not None:  # the elements already ended are dropped too
            while element.getprevious() is not None:
                del parent[0]
    return count


def parse_xml(
    data: bytes, path: str, max_bytes: int = MAX_XML_BYTES, max_elements: int = MAX_XML_ELEMENTS
) -> XmlDocument:
    """Parse untrusted XML bytes or raise :class:`XmlProblem` with a French message."""
    if len(data) > max_bytes:
        raise XmlProblem(
            f"Fichier de {len(data)} octets, au-delà de la limite de {max_bytes} octets : non analysé.",
            kind="too-large",
        )
    _refuse_doctype(data)
    try:
        if data.count(b"<") > max_elements and _count_elements(data, max_elements) > max_elements:
            raise XmlProblem(
                f"Document de plus de {max_elements} éléments XML : non analysé (un arbre de cette taille "
                "dépasserait la mémoire raisonnable du harnais).",
                kind="too-large",
            )
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        kind = "encoding" if "encoding" in str(exc).lower() or "utf-8" in str(exc).lower() else "malformed"
        raise XmlProblem(f"XML mal formé : {exc.msg}", line=line, kind=kind) from None
    except ValueError as exc:  # e.g. unicode string with declaration; we always pass bytes
        raise XmlProblem(f"XML illisible : {exc}", kind="malformed") from None
    return XmlDocument(tree=tree, path=path)
