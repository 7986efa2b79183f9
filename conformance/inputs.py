"""Find exported documents, recognise each one by its content, load it safely.

A file's name says little (vendors export ``.txt`` HL7 and ``.dat`` CDA), so the kind is
sniffed from the first bytes. Loading never writes to the user's files and never follows
a symbolic link found in a folder. An entry the harness does not read as a document (a link, a
FIFO, a socket, a device, a file or folder it may not read) is never passed over in silence: it is
a document of kind :data:`NOT_READ` whose GEN-01 finding says why (:func:`entry_problem`).
"""

from __future__ import annotations

import copy
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from lxml import etree

from .xmlsafe import DSIG_NS, HL7_NS, MAX_XML_BYTES, XSLT_NS, XmlDocument, XmlProblem, parse_xml, readable_path

CDA = "cda"
HL7V2 = "hl7v2"
FHIR = "fhir"
XML = "xml"  # well-formed or not, but not a kind the harness knows
UNKNOWN = "unknown"
NOT_READ = "non-lu"  # an entry of the export that is not a regular file the harness may read

KIND_LABELS = {
    CDA: "document CDA R2",
    HL7V2: "message HL7 v2",
    FHIR: "ressource FHIR",
    XML: "XML d'un autre type",
    UNKNOWN: "type non reconnu",
    NOT_READ: "entrée non lue",
}

# CDA forms whose root is not ClinicalDocument (segur-spec-facts §7.8): the ClinicalDocument is extracted.
AUTO_PRESENTED = "auto-présentable"  # root xsl:stylesheet, <?xml-stylesheet href="#"?>, CDA in a data element
SIGNED = "signé"  # XAdES enveloping signature: ds:Signature/ds:Object/ClinicalDocument
CDA_MIME_TYPES = {"": "text/xml", SIGNED: "text/xml", AUTO_PRESENTED: "application/xslt+xml"}

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CDA_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?ClinicalDocument[\s>/]")
# The first element of the file, after the prolog (declaration, processing instructions, comments).
_FIRST_ELEMENT = re.compile(rb"<(?![?!])(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_FHIR_XML = re.compile(rb"xmlns(?::[\w.-]+)?\s*=\s*[\"']http://hl7\.org/fhir[\"']")
_SNIFF_BYTES = 8192


def _strip_bom(head: bytes) -> bytes:
    for bom in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :]
    return head


def _is_hl7v2(head: bytes) -> bool:
    return _strip_bom(head).lstrip(b"\x0b \r\n\t").startswith(b"MSH")


def _root_name(head: bytes) -> bytes | None:
    match = _FIRST_ELEMENT.search(head)
    return match.group(1) if match else None


def _is_fhir(head: bytes) -> bool:
    """FHIR in JSON (a resourceType), or in XML (root in the http://hl7.org/fhir namespace)."""
    text = _strip_bom(head).lstrip()
    if text.startswith(b"{"):
        return b'"resourceType"' in head
    root = _FIRST_ELEMENT.search(text)
    # the namespace is declared on the root's start tag
    return root is not None and bool(_FHIR_XML.search(text, root.end(), text.find(b">", root.end())))


def _is_cda(head: bytes) -> bool:
    """A ClinicalDocument near the top, or the root of an auto-présentable or signed CDA."""
    if not _strip_bom(head).lstrip().startswith(b"<"):
        return False
    root = _root_name(head)
    return (
        bool(_CDA_ROOT.search(head))
        or (root == b"stylesheet" and XSLT_NS.encode() in head)
        or (root == b"Signature" and DSIG_NS.encode() in head)
    )


def _is_xml(head: bytes) -> bool:
    return _strip_bom(head).lstrip().startswith(b"<")


# Order matters: the first recogniser that answers wins. Later services add theirs here
# (MIME messages, IHE_XDM.ZIP) through :func:`register_kind`.
RECOGNISERS: list[tuple[str, Callable[[bytes], bool]]] = [
    (HL7V2, _is_hl7v2),
    (FHIR, _is_fhir),
    (CDA, _is_cda),
    (XML, _is_xml),
]


def register_kind(kind: str, label: str, recognise: Callable[[bytes], bool], before: str = XML) -> None:
    """Let a service plug in a new input kind, tried before ``before``."""
    if any(k == kind for k, _ in RECOGNISERS):
        return
    KIND_LABELS[kind] = label
    index = next(i for i, (k, _) in enumerate(RECOGNISERS) if k == before)
    RECOGNISERS.insert(index, (kind, recognise))


# Container kinds (IHE_XDM.ZIP, MIME message) expose the documents they carry, so that each
# CDA inside goes through the same scenarios as an exported one. A member's path is
# ``outer!member`` (``message.eml!IHE_XDM.ZIP!IHE_XDM/SUBSET01/DOC0001.XML``): a report and
# the e2e tests attribute it to the outer file by what precedes the first ``!``.
MEMBER_SEPARATOR = "!"
CONTAINERS: dict[str, Callable[[bytes], dict[str, bytes]]] = {}


def register_container(kind: str, members: Callable[[bytes], dict[str, bytes]]) -> None:
    """``members(data)`` → {member path: bytes} of the documents a ``kind`` file carries; it never
    raises on hostile input (the container's own checks report the problem) and never writes."""
    CONTAINERS[kind] = members


def recognise(head: bytes) -> str:
    for kind, test in RECOGNISERS:
        if test(head):
            return kind
    return UNKNOWN


class InputTooLarge(Exception):
    pass


@dataclass(frozen=True)
class EntryProblem:
    """Why an entry is not read as a document (French), and whether that leaves part of the export unchecked."""

    message: str
    blocking: bool


def _accessible(path: str | os.PathLike, mode: int) -> bool:
    """May this process read (and for a folder, list) ``path``: the one place asked, so a test run as root can
    stand for a user without the permission."""
    return os.access(path, mode)


_SPECIAL = ((stat.S_ISFIFO, "tube nommé (FIFO)"), (stat.S_ISSOCK, "socket UNIX"), (stat.S_ISCHR, "périphérique"))


def entry_problem(path: str | os.PathLike, roots: Iterable[str | os.PathLike] = ()) -> EntryProblem | None:
    """None for a regular file this process may read; otherwise why it is not read. Nothing is opened: a FIFO
    or a device could make the harness wait without end. ``roots`` are the folders named for the run: a link to
    a file of theirs is checked as that file, any other link leaves part of the export unchecked."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return EntryProblem(f"Entrée inaccessible ({exc.strerror}) : non lue.", blocking=True)
    if stat.S_ISLNK(info.st_mode):
        return _link_problem(str(path), roots)
    if stat.S_ISDIR(info.st_mode):
        return EntryProblem(
            "Dossier illisible (permission refusée) : son contenu n'a pas été vérifié ; attendu : un dossier "
            "que le harnais peut parcourir.",
            blocking=True,
        )
    if not stat.S_ISREG(info.st_mode):
        what = next((label for test, label in _SPECIAL if test(info.st_mode)), "entrée spéciale")
        return EntryProblem(
            f"{what[0].upper()}{what[1:]}, pas un fichier ordinaire : non ouvert (sa lecture pourrait attendre "
            "sans fin) ; attendu : des fichiers ordinaires dans le dossier exporté.",
            blocking=True,
        )
    if not _accessible(path, os.R_OK):
        return EntryProblem(
            "Fichier illisible (permission refusée) : non vérifié ; attendu : un fichier que le harnais peut lire.",
            blocking=True,
        )
    return None


def _link_problem(path: str, roots: Iterable[str | os.PathLike]) -> EntryProblem:
    target = os.readlink(path)
    resolved = os.path.realpath(path)
    why = "hors du dossier exporté"
    for root in map(os.path.realpath, roots):
        if os.path.isdir(root) and os.path.commonpath([root, resolved]) == root:
            hidden = any(part.startswith(".") for part in Path(os.path.relpath(resolved, root)).parts)
            if not os.path.lexists(resolved):
                why = "cible absente"
            elif os.path.isdir(resolved):
                why = "vers un dossier"
            elif hidden or entry_problem(resolved) is not None:
                why = "cible cachée ou illisible"
            else:
                return EntryProblem(
                    f"Lien symbolique vers « {target} » : non suivi ; sa cible, dans le dossier exporté, est "
                    "vérifiée comme un fichier à part entière.",
                    blocking=False,
                )
    return EntryProblem(
        f"Lien symbolique vers « {target} » ({why}) : non suivi, son contenu n'a pas été vérifié ; attendu : "
        "le document lui-même dans le dossier exporté.",
        blocking=True,
    )


def _read_bounded(handle, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough to tell a file over the limit without reading it all. A regular
    file is read in one buffer of its own size (``read(limit + 1)`` allocates the whole limit every time);
    a file without a size (pipe, /proc) or one that grew since ``fstat`` is read on, still bounded."""
    size = os.fstat(handle.fileno()).st_size
    data = handle.read(min(size, limit) + 1)
    if size < len(data) <= limit:
        data += handle.read(limit + 1 - len(data))
    return data


_SHIPPED: dict[str, bytes] = {}  # files that came with a batch to a worker that does not see their disk


@contextmanager
def shipped(files: dict[str, bytes]) -> Iterator[None]:
    """Read these files (each sent cut at the largest bound any reader applies, plus one byte) from
    memory instead of the disk, while a remote worker evaluates the batch that carried them."""
    _SHIPPED.update(files)
    try:
        yield
    finally:
        for path in files:
            _SHIPPED.pop(path, None)


def read_file(path: str | os.PathLike, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a file, from the batch that carried it or from the disk: one more
    than the limit tells a file over it without reading it all."""
    data = _SHIPPED.get(str(path))
    if data is not None:
        return data[: limit + 1]
    if not stat.S_ISREG(os.stat(path).st_mode):  # opening a FIFO or a device could wait without end
        raise OSError(f"{path} : pas un fichier ordinaire, non lu")
    with open(path, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # replaced between the two looks
            raise OSError(f"{path} : pas un fichier ordinaire, non lu")
        return _read_bounded(handle, limit)


@dataclass
class InputDocument:
    """One exported file: its kind, its bytes (read once), and parsed views on demand."""

    path: str
    kind: str
    max_bytes: int = MAX_XML_BYTES
    _data: bytes | None = field(default=None, repr=False)
    problem: EntryProblem | None = None  # kind NOT_READ: why the entry was not read
    _derived: dict[str, Any] = field(default_factory=dict, repr=False)

    def derived(self, key: str, compute: Callable[[], Any]) -> Any:
        """Per-document cache of a derived view, or of the error computing it raised: a Gherkin background
        re-runs in every scenario, and an oversized or malformed file must not be read or parsed again
        by each of them. The harness keeps one loaded document per file and process."""
        if key not in self._derived:
            try:
                self._derived[key] = (compute(), None, None)
            except Exception as exc:  # noqa: BLE001 - raised again to every caller, as the first one saw it
                self._derived[key] = (None, exc, exc.__traceback__)
        value, error, where = self._derived[key]
        if error is not None:
            raise error.with_traceback(where)  # the frames where it arose, not those of earlier raises
        return value

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.derived("inputs.data", self._read)
        return self._data

    def _read(self) -> bytes:
        data = read_file(self.path, self.max_bytes)
        if len(data) > self.max_bytes:
            raise InputTooLarge(
                f"Fichier de plus de {self.max_bytes} octets : non analysé (limite réglable par --taille-max)."
            )
        return data

    @property
    def xml(self) -> XmlDocument:
        """Parsed XML; raises :class:`~dui_conformance.xmlsafe.XmlProblem` on bad input."""
        return self.derived("inputs.xml", self._parse_xml)

    def _parse_xml(self) -> XmlDocument:
        try:
            data = self.data
        except InputTooLarge as exc:  # what every XML reader already reports: a refusal, not a harness error
            raise XmlProblem(str(exc), kind="too-large") from None
        return parse_xml(data, self.path, self.max_bytes)

    @cached_property
    def cda(self) -> XmlDocument:
        """The ClinicalDocument to check: the file itself, or the one an auto-présentable or signed CDA
        embeds (see :func:`embedded_cda`); the file itself when it holds none (GEN-01 reports it)."""
        return embedded_cda(self.xml) or self.xml

    @cached_property
    def text(self) -> tuple[str, str]:
        """Decoded text and the encoding used: UTF-8 first, then ISO-8859-1 (common in France)."""
        raw = _strip_bom(self.data)
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return raw.decode("iso-8859-1"), "iso-8859-1"

    @property
    def json(self) -> Any:
        """Parsed JSON; raises ValueError on bad input, including hostile nesting depth. A FHIR resource
        in XML is read into the same JSON form, through fhir.resources."""
        return self.derived("inputs.json", self._parse_json)

    def _parse_json(self) -> Any:
        if self.kind == FHIR and _strip_bom(self.data).lstrip().startswith(b"<"):
            return fhir_xml_as_json(self.xml)
        try:
            return json.loads(self.text[0])
        except RecursionError:
            raise ValueError("imbrication trop profonde (structure hostile ou corrompue)") from None

    @property
    def is_xml(self) -> bool:
        """XML syntax, whatever the kind (CDA, FHIR XML, other XML)."""
        return self.kind in (CDA, XML) or (self.kind != NOT_READ and _is_xml(self.data[:_SNIFF_BYTES]))


def embedded_cda(xml: XmlDocument) -> XmlDocument | None:
    """The ClinicalDocument of an auto-présentable (root ``xsl:stylesheet``) or signed (root ``ds:Signature``)
    CDA, copied into its own document with its original lines and XPath base; None for any other file,
    including a plain CDA (its root is the ClinicalDocument)."""
    root = xml.root
    forms = {
        f"{{{XSLT_NS}}}stylesheet": AUTO_PRESENTED,
        f"{{{XSLT_NS}}}transform": AUTO_PRESENTED,
        f"{{{DSIG_NS}}}Signature": SIGNED,
    }
    form = forms.get(root.tag)
    if form is None:
        return None
    found = next(root.iter(f"{{{HL7_NS}}}ClinicalDocument"), None)
    if found is None:
        return None
    parent = found.getparent()
    embedded = copy.deepcopy(found)  # keeps source lines; a document of its own for XSD, schematrons, XPaths
    return XmlDocument(
        tree=etree.ElementTree(embedded), path=xml.path, form=form, base=readable_path(parent, strict=True)
    )


def fhir_xml_as_json(xml: XmlDocument) -> Any:
    """A FHIR resource in XML as its JSON form (fhir.resources, R4B models, from the safely parsed tree)."""
    from fhir.resources.R4B import get_fhir_model_class  # heavy (pydantic models): only for FHIR in XML

    name = etree.QName(xml.root).localname
    try:
        model = get_fhir_model_class(name)
    except (KeyError, ValueError):
        raise ValueError(f"ressource FHIR XML de type inconnu « {name} »") from None
    try:
        resource = model.model_validate_xml(
            etree.tostring(xml.tree),
            xmlparser=etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True),
        )
    except Exception as exc:  # pydantic ValidationError and lxml errors: the resource is not readable as FHIR
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"ressource FHIR XML « {name} » non lisible par fhir.resources : {first}") from None
    return resource.model_dump(mode="json", by_alias=True, exclude_none=True)


def load(
    path: str | os.PathLike, max_bytes: int = MAX_XML_BYTES, roots: Iterable[str | os.PathLike] = ()
) -> InputDocument:
    """A file, or a document inside a container file (``outer!member``), read in memory; an entry that is not a
    readable regular file is a document of kind :data:`NOT_READ` (``roots``: see :func:`entry_problem`)."""
    path = str(path)
    if MEMBER_SEPARATOR in path and path not in _SHIPPED and not os.path.lexists(path):
        outer, _, member = path.partition(MEMBER_SEPARATOR)
        data = members(load(outer, max_bytes)).get(member)
        if data is None:
            raise FileNotFoundError(f"Document {member!r} introuvable dans {outer}")
        return InputDocument(path=path, kind=recognise(data[:_SNIFF_BYTES]), max_bytes=max_bytes, _data=data)
    problem = None if path in _SHIPPED else entry_problem(path, roots)
    if problem is None:
        try:
            return InputDocument(path, recognise(read_file(path, _SNIFF_BYTES)[:_SNIFF_BYTES]), max_bytes)
        except OSError as exc:  # changed since it was looked at, or refused by the system
            problem = EntryProblem(f"Fichier illisible ({exc.strerror or exc}) : non vérifié.", blocking=True)
    return InputDocument(path=path, kind=NOT_READ, max_bytes=max_bytes, problem=problem)


def members(doc: InputDocument) -> dict[str, bytes]:
    """Documents carried by a container document, keyed by member path; {} for any other kind
    or when the container is unreadable or over the size limit."""
    extract = CONTAINERS.get(doc.kind)
    if extract is None:
        return {}
    try:
        return doc.derived("inputs.members", lambda: extract(doc.data))
    except (InputTooLarge, OSError):
        return {}


def embedded(doc: InputDocument) -> list[tuple[str, str]]:
    """(path, kind) of each document a container carries, for the plan."""
    return [
        (f"{doc.path}{MEMBER_SEPARATOR}{name}", recognise(data[:_SNIFF_BYTES])) for name, data in members(doc).items()
    ]


def run_documents(paths: Iterable[str | os.PathLike], max_bytes: int) -> list[tuple[str, str]]:
    """(path, kind) of every document a run evaluates: each file found, and each document it carries
    (the CDA inside an IHE_XDM.ZIP or a message runs the CDA and INS scenarios too). The pytest
    plugin, the in-process engine and the runner's scope all read this one list."""
    paths = list(paths)
    documents: list[tuple[str, str]] = []
    for file in entries(paths):
        doc = load(file, max_bytes, paths)
        documents += [(str(file), doc.kind), *embedded(doc)]
    return documents


def discover(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Readable regular files named, and under folders named, in a stable order; hidden files skipped."""
    return [entry for entry in entries(paths) if entry_problem(entry) is None]


def entries(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """What :func:`discover` finds plus every entry it does not read (links, never followed, special files,
    unreadable files and folders), in a stable order: each one is a document of the run, so that an export the
    harness could not read in full never looks checked."""
    found: list[Path] = []
    unlistable = found.append
    for raw in paths:
        path = Path(raw)
        if path.is_symlink():  # named on the command line: the user chose it
            path = path.resolve()
        if not path.is_dir():
            if not os.path.lexists(path):
                raise FileNotFoundError(f"Chemin introuvable : {path}")
            found.append(path)
            continue
        if not _accessible(path, os.R_OK | os.X_OK):
            found.append(path)
            continue
        for folder, dirs, files in os.walk(
            path, followlinks=False, onerror=lambda error: unlistable(Path(error.filename))
        ):
            visible = sorted(d for d in dirs if not d.startswith("."))
            dirs[:] = [d for d in visible if _listable(Path(folder) / d)]
            found += [Path(folder) / d for d in visible if d not in dirs]
            found += [Path(folder) / name for name in sorted(files) if not name.startswith(".")]
    return found


def _listable(folder: Path) -> bool:
    """A folder to walk into: not a link (never followed), and one this process may list."""
    return not folder.is_symlink() and _accessible(folder, os.R_OK | os.X_OK)
