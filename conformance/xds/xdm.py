"""Check an IHE_XDM.ZIP (ITI-32 media, facts §4.3): the archive is safe, laid out as
INDEX.HTM + README.TXT + IHE_XDM/<SUBSET>/METADATA.XML, and the metadata of each subset
agree with the CDA documents next to them (hash and size mandatory on media).

Besides its documents, a subset legitimately holds stylesheets (referenced by a document's
``<?xml-stylesheet href?>``, named ``FEUILLE_DE_STYLE.XSL``, or declared as a DocumentEntry with the CI-SIS
formatCode ``urn:ans:ci-sis:feuille-de-style:2023``) and XML-DSig signatures declared as DocumentEntries
(IHE DSG detached signatures): those are resources and signatures, not documents to check as CDA.
Media file names are case-insensitive (the US XDM validator upper-cases them before resolving), so a URI
is resolved without regard to case and two members that differ only by case are a finding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
import re
from dataclasses import dataclass, field

from lxml import etree

from ..decides import decides
from ..inputs import CDA, read_file, recognise
from ..model import Finding, Location, Outcome, failed, passed
from ..safezip import SafeZip, ZipLimits, ZipProblem
from ..xmlsafe import DSIG_NS, HL7_NS, XSLT_NS, XmlDocument, XmlProblem, parse_xml
from . import ebrim
from .ebrim import RegistryObject, Submission, read_submission
from .iti41 import check_documents, xml_problem_finding
from .structure import check_replacement, check_structure

MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
# IHE DSG detached signature (ITI TF-3 §5.5), and the XML-DSig namespace some French kits put there (facts §3.2).
SIGNATURE_FORMATS = {"urn:ihe:iti:dsg:detached:2014", DSIG_NS}
STYLESHEET_FORMAT = "urn:ans:ci-sis:feuille-de-style:2023"  # CI-SIS JDV_J10 « Feuille de style »
CISIS_STYLESHEET = "FEUILLE_DE_STYLE.XSL"
DOCUMENT, SIGNATURE, STYLESHEET = "document", "signature", "feuille de style"
_ROLE_ROOTS = {
    f"{{{DSIG_NS}}}Signature": SIGNATURE,
    f"{{{XSLT_NS}}}stylesheet": STYLESHEET,
    f"{{{XSLT_NS}}}transform": STYLESHEET,
}
_FIRST_ELEMENT = re.compile(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")
_STYLESHEET_PI = re.compile(rb"<\?xml-stylesheet\s(.*?)\?>", re.S)
_HREF = re.compile(rb"""\bhref\s*=\s*(["'])(.*?)\1""", re.S)
_DIGESTS = {
    f"{DSIG_NS}sha1": "sha1",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
}
_C14N = {  # algorithm → (exclusive, with comments)
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": (False, False),
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": (False, True),
    "http://www.w3.org/2001/10/xml-exc-c14n#": (True, False),
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": (True, True),
}


class _Names:
    """Member names, resolved as on XDM media: exactly, else without regard to letter case."""

    def __init__(self, names: list[str]):
        self.exact = set(names)
        self.folded: dict[str, list[str]] = {}
        for name in names:
            self.folded.setdefault(name.upper(), []).append(name)

    def resolve(self, folder: str, uri: str) -> str | None:
        target = posixpath.normpath(posixpath.join(folder, uri))
        if target in self.exact:
            return target
        found = self.folded.get(target.upper(), [])
        return found[0] if len(found) == 1 else None

    def collisions(self) -> list[list[str]]:
        return [group for group in self.folded.values() if len(group) > 1]


@dataclass
class _Subset:
    """One IHE_XDM/<SUBSET> folder: its metadata (or why it is unreadable) and the member each DocumentEntry
    designates."""

    folder: str
    metadata: str
    parsed: tuple[XmlDocument, Submission] | XmlProblem
    files: dict[str, str] = field(default_factory=dict)  # entry id → member
    roles: dict[str, str] = field(default_factory=dict)  # entry id → DOCUMENT, SIGNATURE or STYLESHEET

    def having(self, role: str) -> list[str]:
        return sorted(e for e, r in self.roles.items() if r == role)

    @property
    def entries(self) -> list[RegistryObject]:
        return [] if isinstance(self.parsed, XmlProblem) else self.parsed[1].entries


def _content_role(data: bytes) -> str:
    """SIGNATURE for a detached XML-DSig file, STYLESHEET for an XSLT, DOCUMENT otherwise: a ds:Signature or
    xsl:stylesheet around a ClinicalDocument is a signed or auto-présentable CDA, a document."""
    root = _FIRST_ELEMENT.search(data[:8192])
    if root is None or root.group(1) not in (b"Signature", b"stylesheet", b"transform"):
        return DOCUMENT
    try:
        tree = parse_xml(data, "member").root
    except XmlProblem:
        return DOCUMENT  # the run's GEN checks say why
    if next(tree.iter(f"{{{HL7_NS}}}ClinicalDocument"), None) is not None:
        return DOCUMENT
    return _ROLE_ROOTS.get(tree.tag, DOCUMENT)


def _role(entry: RegistryObject, data: bytes) -> str:
    """What a DocumentEntry's file is: its formatCode says so (IHE DSG, CI-SIS stylesheet), or its content."""
    formats = {code.code for code in entry.codes(ebrim.DE_FORMAT)}
    if formats & SIGNATURE_FORMATS:
        return SIGNATURE
    if STYLESHEET_FORMAT in formats:
        return STYLESHEET
    return _content_role(data)


def _subsets(contents: dict[str, bytes], names: _Names, path: str) -> list[_Subset]:
    """Each subset's metadata, read once for the checks and for the list of documents to run as CDA; its
    locations name the archive (``path``) and the member."""
    out = []
    for member in sorted(contents):
        parts = member.split("/")
        if len(parts) != 3 or parts[0].upper() != "IHE_XDM" or parts[2].upper() != "METADATA.XML":
            continue
        try:
            xml = parse_xml(contents[member], f"{path}!{member}")
            subset = _Subset(posixpath.dirname(member), member, (xml, read_submission(xml)))
        except XmlProblem as problem:
            subset = _Subset(posixpath.dirname(member), member, problem)
        for entry in subset.entries:
            uri = entry.slot("URI")
            target = names.resolve(subset.folder, uri) if uri else None
            if target is not None:
                subset.files[entry.id] = target
                subset.roles[entry.id] = _role(entry, contents[target])
        out.append(subset)
    return out


def _stylesheets(contents: dict[str, bytes], names: _Names) -> dict[str, str]:
    """Stylesheet member → what makes it one: the document whose ``<?xml-stylesheet?>`` names it, or the
    CI-SIS file name (an XSLT called FEUILLE_DE_STYLE.XSL)."""
    out: dict[str, str] = {}
    for member, data in contents.items():
        head = data[:8192]
        if posixpath.basename(member).upper() == CISIS_STYLESHEET and XSLT_NS.encode() in head:
            out.setdefault(member, "nom CI-SIS FEUILLE_DE_STYLE.XSL")
        for pi in _STYLESHEET_PI.finditer(head):
            href = _HREF.search(pi.group(1))
            uri = href.group(2).decode("utf-8", "replace").strip() if href else ""
            target = names.resolve(posixpath.dirname(member), uri) if uri and not uri.startswith("#") else None
            if target is not None and target != member:
                out[target] = f"feuille de style de {posixpath.basename(member)}"
    return out


def _read_all(data: bytes, limits: ZipLimits) -> dict[str, bytes]:
    """Every member, inflated and checked against its declared size and CRC-32, so that « lisible sans
    risque » is said of the whole archive; a member that is itself an archive is refused: XDM media carry
    documents, and an archive inside would escape the caps that protect the harness."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ZipProblem(f"Archive de plus de {MAX_ARCHIVE_BYTES} octets : non analysée.", kind="too-large")
    archive = SafeZip(data, limits)
    for name in archive.names():
        if name.upper().endswith(".ZIP"):
            raise ZipProblem(f"Archive imbriquée refusée dans l'archive XDM : {name!r}.", name, "depth")
    return {name: archive.read(name) for name in archive.names()}


@decides("DMP-51")
def _layout(names: _Names, subsets: list[_Subset], path: str) -> list[Finding]:
    """DMP-51 findings on the archive layout: root files, subsets, names that collide on media."""
    out = []
    for required in ("INDEX.HTM", "README.TXT"):
        if required not in names.folded:
            out.append(
                failed("DMP-51", f"Fichier {required} absent à la racine de l'archive XDM.", Location(file=path))
            )
    if not subsets:
        out.append(
            failed(
                "DMP-51",
                "Aucun IHE_XDM/<SUBSET>/METADATA.XML dans l'archive.",
                Location(file=path),
                ", ".join(sorted(names.exact)[:20]),
            )
        )
    for group in names.collisions():
        out.append(
            failed(
                "DMP-51",
                f"Entrées qui ne diffèrent que par la casse : {', '.join(sorted(group))}. Le support XDM ne "
                "distingue pas la casse des noms (ITI-32) : l'une masquerait l'autre ; attendu : des noms "
                "distincts sans tenir compte de la casse.",
                Location(file=path),
            )
        )
    return out


def check_xdm(path: str, environment: str = "test", limits: ZipLimits = ZipLimits()) -> list[Finding]:
    """All XDM checks on one archive file (input kind ``xdm``)."""
    return check_xdm_data(read_file(path, MAX_ARCHIVE_BYTES), path, environment, limits)


@decides("DMP-51", "DMP-52")
def check_xdm_data(data: bytes, path: str, environment: str = "test", limits: ZipLimits = ZipLimits()) -> list[Finding]:
    """All XDM checks on archive bytes; ``path`` names it in findings (``message.eml!IHE_XDM.ZIP``)."""
    where = Location(file=path)
    try:
        contents = _read_all(data, limits)
    except ZipProblem as problem:
        return [failed("DMP-52", problem.message, where, problem.member)]
    out = [
        passed(
            "DMP-52",
            f"Archive lisible sans risque ({len(contents)} entrées vérifiées : noms, tailles, taux de "
            "compression, CRC-32).",
            where,
        )
    ]
    names = _Names(list(contents))
    subsets = _subsets(contents, names, path)
    out += _layout(names, subsets, path)
    stylesheets = _stylesheets(contents, names)
    for subset in subsets:
        out += _subset(subset, contents, names, path, environment)
    if subsets and not any(f.requirement == "DMP-51" and f.outcome is Outcome.FAIL for f in out):
        resources = "".join(f" ; ressource {name} ({why})" for name, why in sorted(stylesheets.items()))
        out.append(
            passed(
                "DMP-51",
                f"Arborescence XDM conforme : INDEX.HTM, README.TXT, {', '.join(s.folder for s in subsets)}"
                f"{resources}.",
                where,
            )
        )
    return out


@decides("DMP-51")
def _metadata_root(xml: XmlDocument) -> list[Finding]:
    """METADATA.XML holds an lcm:SubmitObjectsRequest (ITI-32), not a saved ITI-41 request or any other XML."""
    root = xml.root
    if root.tag == f"{{{ebrim.LCM}}}SubmitObjectsRequest":
        return []
    qname = etree.QName(root)
    if qname.namespace in (ebrim.SOAP12, ebrim.SOAP11):
        version = "1.2" if qname.namespace == ebrim.SOAP12 else "1.1"
        body = root.find(f"{{{qname.namespace}}}Body")
        first = body[0] if body is not None and len(body) else None
        seen = [f"corps {etree.QName(first).localname}" if first is not None else "corps vide"]
        header = root.find(f"{{{qname.namespace}}}Header")
        if header is not None and header.find(f"{{{ebrim.WSA}}}*") is not None:
            seen.append("en-têtes WS-Addressing")
        if next(root.iter(f"{{{ebrim.SAML2}}}Assertion"), None) is not None:
            seen.append("assertion SAML")
        found = f"une enveloppe SOAP {version} ({', '.join(seen)}) : une requête ITI-41 enregistrée telle quelle"
    else:
        found = f"un XML de racine « {qname.localname} » (espace de noms {qname.namespace or 'aucun'})"
    return [
        failed(
            "DMP-51",
            f"METADATA.XML contient {found} ; attendu : un lcm:SubmitObjectsRequest (ebRIM 3.0, "
            f"{ebrim.LCM}) à la racine, seul contenu de METADATA.XML sur un support XDM (IHE ITI-32 ; "
            "métadonnées ITI TF-3 §4.2.3).",
            xml.locate(root),
            root.tag,
        )
    ]


@decides("DMP-51")
def _subset(subset: _Subset, contents: dict[str, bytes], names: _Names, path: str, environment: str) -> list[Finding]:
    if isinstance(subset.parsed, XmlProblem):
        return [xml_problem_finding(subset.parsed, Location(file=f"{path}!{subset.metadata}"))]
    xml, sub = subset.parsed
    out = _metadata_root(xml) + check_structure(sub, xdm=True) + check_replacement(sub)
    for entry in sub.entries:
        uri = entry.slot("URI")
        if uri and entry.id not in subset.files:
            out.append(
                failed(
                    "DMP-51",
                    f"DocumentEntry {entry.id} : URI {uri!r} ne désigne aucun fichier du sous-ensemble.",
                    entry.where(slot="URI"),
                )
            )
    for entry_id in subset.having(SIGNATURE):
        out += _signature(subset, entry_id, contents, names, path)
    for entry_id in subset.having(STYLESHEET):
        out += _stylesheet_entry(subset, entry_id, contents, path)
    docs = {e: contents[m] for e, m in subset.files.items() if subset.roles[e] == DOCUMENT}
    return out + check_documents(sub, docs, f"{path}!{subset.folder}", environment, xdm=True)


def _signed_entry(subset: _Subset, names: _Names, signature_id: str, uri: str) -> str | None:
    """The DocumentEntry a ds:Reference URI designates: urn:oid:<uniqueId>, urn:uuid:<entryUUID>, the
    uniqueId itself, or the file name relative to the signature (IHE DSG)."""
    for entry in subset.entries:
        if subset.roles.get(entry.id, DOCUMENT) != DOCUMENT:
            continue
        unique = entry.external(ebrim.DE_UNIQUE_ID)
        if (unique and uri in (unique, f"urn:oid:{unique}")) or uri == entry.id:
            return entry.id
    member = names.resolve(posixpath.dirname(subset.files[signature_id]), uri)
    return next((e for e, m in subset.files.items() if m == member and subset.roles[e] == DOCUMENT), None)


def _member_xml(member: str, contents: dict[str, bytes], path: str) -> XmlDocument | Finding:
    """A member of the archive parsed safely, or the finding that says why it cannot be."""
    source = f"{path}!{member}"
    try:
        return parse_xml(contents[member], source)
    except XmlProblem as problem:
        return xml_problem_finding(problem, Location(file=source))


@decides("DMP-50", "DMP-51")
def _signature(subset: _Subset, entry_id: str, contents: dict[str, bytes], names: _Names, path: str) -> list[Finding]:
    """A signature DocumentEntry: a safely parsed ds:Signature whose references designate documents of the
    subset, each with a digest that matches when it can be computed here (the signature value and the
    signer's certificate are not verified offline)."""
    member = subset.files[entry_id]
    xml = _member_xml(member, contents, path)
    if isinstance(xml, Finding):
        return [xml]
    if xml.root.tag != f"{{{DSIG_NS}}}Signature":
        return [
            failed(
                "DMP-51",
                f"DocumentEntry {entry_id} déclarée signature (IHE DSG) : {posixpath.basename(member)} a pour "
                f"racine « {etree.QName(xml.root).localname} » ; attendu : ds:Signature (XML-DSig).",
                xml.locate(xml.root),
            )
        ]
    out: list[Finding] = []
    signed, elsewhere = [], []
    for ref in xml.root.iter(f"{{{DSIG_NS}}}Reference"):
        uri = (ref.get("URI") or "").strip()
        if not uri or uri.startswith("#"):  # same-document reference (SignedInfo → Manifest, SignedProperties)
            continue
        target = _signed_entry(subset, names, entry_id, uri)
        if target is None:
            elsewhere.append(uri)
            continue
        signed.append(posixpath.basename(subset.files[target]))
        out += _digest(xml, ref, contents[subset.files[target]], subset.files[target], entry_id)
    if not signed:
        return out + [
            failed(
                "DMP-51",
                f"Signature {entry_id} ({posixpath.basename(member)}) : aucune ds:Reference ne désigne un document "
                f"du sous-ensemble (références : {', '.join(elsewhere) or 'aucune'}) ; attendu : l'uniqueId "
                "(urn:oid:…) ou le nom de fichier d'une DocumentEntry de METADATA.XML (IHE DSG).",
                xml.locate(xml.root),
            )
        ]
    other = f" ; autres références hors du sous-ensemble : {', '.join(elsewhere)}" if elsewhere else ""
    return out + [
        passed(
            "DMP-51",
            f"Signature {entry_id} ({posixpath.basename(member)}) : XML-DSig lisible, signe {', '.join(signed)}"
            f"{other} (valeur de signature et certificat non vérifiés hors ligne).",
            xml.locate(xml.root),
        )
    ]


@decides("DMP-51")
def _stylesheet_entry(subset: _Subset, entry_id: str, contents: dict[str, bytes], path: str) -> list[Finding]:
    """A DocumentEntry declared as a CI-SIS stylesheet is an XSLT (parsed safely), a resource of the subset."""
    member = subset.files[entry_id]
    xml = _member_xml(member, contents, path)
    if isinstance(xml, Finding):
        return [xml]
    name = posixpath.basename(member)
    if _ROLE_ROOTS.get(xml.root.tag) != STYLESHEET:
        return [
            failed(
                "DMP-51",
                f"DocumentEntry {entry_id} déclarée feuille de style ({STYLESHEET_FORMAT}) : {name} a pour racine "
                f"« {etree.QName(xml.root).localname} » ; attendu : xsl:stylesheet (XSLT).",
                xml.locate(xml.root),
            )
        ]
    return [
        passed("DMP-51", f"DocumentEntry {entry_id} : feuille de style XSLT {name}, ressource.", xml.locate(xml.root))
    ]


@decides("DMP-50")
def _digest(signature: XmlDocument, ref: etree._Element, data: bytes, member: str, entry_id: str) -> list[Finding]:
    """DMP-50: the ds:DigestValue of a reference to a document of the subset is that document's digest (octets,
    or their XML canonical form); no finding when the algorithm or a transform is one this check does not know."""
    method = ref.find(f"{{{DSIG_NS}}}DigestMethod")
    algorithm = _DIGESTS.get(method.get("Algorithm", "") if method is not None else "")
    transforms = [t.get("Algorithm", "") for t in ref.iter(f"{{{DSIG_NS}}}Transform")]
    if algorithm is None or len(transforms) > 1 or any(t not in _C14N for t in transforms):
        return []
    try:
        declared = base64.b64decode("".join((ref.findtext(f"{{{DSIG_NS}}}DigestValue") or "").split()), validate=True)
    except (binascii.Error, ValueError):
        declared = b""
    if transforms:
        exclusive, comments = _C14N[transforms[0]]
        try:
            tree = parse_xml(data, member).tree
        except XmlProblem:
            return []  # the document's own checks report it
        data = etree.tostring(tree, method="c14n", exclusive=exclusive, with_comments=comments)
    actual = hashlib.new(algorithm, data).digest()
    if actual == declared:
        return []
    label = algorithm.upper().replace("SHA", "SHA-")
    return [
        failed(
            "DMP-50",
            f"Signature {entry_id} : l'empreinte {label} de {posixpath.basename(member)} ne correspond "
            "pas au ds:DigestValue de sa référence : document modifié après signature, ou signature d'un autre "
            "document.",
            signature.locate(ref),
            f"trouvé : {base64.b64encode(declared).decode() or 'rien'} ; attendu : {base64.b64encode(actual).decode()}",
        )
    ]


def xdm_documents(data: bytes, limits: ZipLimits = ZipLimits()) -> dict[str, bytes]:
    """CDA documents of the subsets, by member name ({} when the archive is refused: DMP-52 says why). Signature
    DocumentEntries and the stylesheets the documents reference are not documents; any other member that looks
    like a CDA is one, and the CDA scenarios say what is wrong with it."""
    try:
        contents = _read_all(data, limits)
    except ZipProblem:
        return {}
    names = _Names(list(contents))
    subsets = _subsets(contents, names, "IHE_XDM.ZIP")
    declared = {m for s in subsets for m in s.files.values()}
    not_documents = {s.files[e] for s in subsets for e, role in s.roles.items() if role != DOCUMENT}
    not_documents |= set(_stylesheets(contents, names)) - declared
    return {
        name: member
        for name, member in contents.items()
        if name.upper().startswith("IHE_XDM/")
        and not name.upper().endswith("/METADATA.XML")
        and name not in not_documents
        and recognise(member[:8192]) == CDA
    }
