"""Check an ITI-41 Provide and Register Document Set-b request the way the NIST toolkit does
(lessons §3 and §10 item 6): HTTP/MTOM → SOAP 1.2 and WS-Addressing → ebRIM structure →
VIHF → metadata against each attached CDA."""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import re

from ..decides import decides
from ..inputs import embedded_cda, read_file
from ..model import Finding, Location, failed, passed, skipped
from ..wording import found
from ..xmlsafe import XmlDocument, XmlProblem, parse_xml
from . import ebrim
from .build import ITI41_ACTION
from .consistency import check_entry
from .ebrim import NS, Submission, read_submission
from .expected import expected_entry
from .mtom import MAX_BODY_BYTES, MtomMessage, MtomProblem, is_xml_type, parse_mtom
from .structure import check_replacement, check_structure
from .vihf import check_vihf

_REQUEST_LINE = re.compile(rb"^[A-Z]+ \S+ HTTP/1\.[01]\r?\n")


def _x(xml: XmlDocument, expr: str) -> list:
    return xml.root.xpath(expr, namespaces=NS)


@decides("GEN-01", "GEN-02")
def xml_problem_finding(problem: XmlProblem, where: Location) -> Finding:
    """GEN-02 for a DOCTYPE/entity declaration, GEN-01 for anything else unreadable."""
    requirement = "GEN-02" if problem.kind == "doctype" else "GEN-01"
    return failed(requirement, problem.message, Location(where.file, where.xpath, problem.line, where.exchange))


@decides("DMP-41")
def _packaging(msg: MtomMessage, source: str, header_captured: bool) -> list[Finding]:
    where = Location(file=source)
    out = []
    if header_captured:
        if msg.params.get("type", "").lower() != "application/xop+xml":
            out.append(
                failed(
                    "DMP-41",
                    'Content-Type multipart/related sans type="application/xop+xml".',
                    where,
                    msg.params.get("type"),
                )
            )
        if not msg.params.get("start"):
            out.append(failed("DMP-41", "Content-Type multipart/related sans paramètre start (partie racine).", where))
    if not msg.start_found:
        out.append(
            failed(
                "DMP-41",
                f"Paramètre start « {msg.params.get('start')} » : trouvé aucune partie de ce Content-ID ; attendu le "
                "Content-ID de la partie racine (l'enveloppe SOAP, RFC 2387 §3.2).",
                where,
                msg.params.get("start"),
            )
        )
    if msg.root_type != "application/xop+xml" or msg.root_params.get("type", "").lower() != "application/soap+xml":
        out.append(
            failed(
                "DMP-41",
                'La partie racine doit être application/xop+xml; type="application/soap+xml".',
                where,
                f"{msg.root_type} {msg.root_params}",
            )
        )
    return out


@decides("DMP-40")
def _soap(xml: XmlDocument) -> list[Finding]:
    root = xml.root
    ns = etree_ns(root)
    out = []
    if ns == ebrim.SOAP11:
        out.append(
            failed(
                "DMP-40",
                "Enveloppe SOAP 1.1 : ITI-41 exige SOAP 1.2 (http://www.w3.org/2003/05/soap-envelope).",
                xml.locate(root),
                ns,
            )
        )
    elif ns != ebrim.SOAP12:
        out.append(failed("DMP-40", "La racine n'est pas une enveloppe SOAP 1.2.", xml.locate(root), root.tag))
    header = "/*[local-name()='Envelope']/*[local-name()='Header']"
    action = "".join(_x(xml, header + "/wsa:Action/text()")).strip()
    if action != ITI41_ACTION:
        out.append(
            failed(
                "DMP-40",
                f"wsa:Action {action or 'absente'} : {ITI41_ACTION} attendue.",
                xml.locate(None, header + "/wsa:Action"),
                action,
            )
        )
    for name in ("MessageID", "To"):
        if not "".join(_x(xml, f"{header}/wsa:{name}/text()")).strip():
            out.append(
                failed(
                    "DMP-40",
                    f"En-tête WS-Addressing wsa:{name} absent ou vide.",
                    xml.locate(None, f"{header}/wsa:{name}"),
                )
            )
    return out or [
        passed("DMP-40", "Enveloppe SOAP 1.2 avec wsa:Action, wsa:MessageID et wsa:To conformes.", xml.locate(root))
    ]


def etree_ns(node) -> str:
    return node.tag[1:].split("}")[0] if node.tag.startswith("{") else ""


_DOCUMENTS = "//xdsb:ProvideAndRegisterDocumentSetRequest/xdsb:Document"


def part_types(xml: XmlDocument, msg: MtomMessage | None) -> dict[str, str]:
    """Declared Content-Type of the MIME part each xdsb:Document includes (by document id), when it has one."""
    out = {}
    for node in _x(xml, _DOCUMENTS):
        include = node.find(f"{{{ebrim.XOP}}}Include")
        declared = msg.type_of(include.get("href", "")) if msg is not None and include is not None else None
        if declared:
            out[node.get("id", "")] = declared
    return out


@decides("DMP-41")
def documents_of(xml: XmlDocument, msg: MtomMessage | None) -> tuple[dict[str, bytes], list[Finding]]:
    """Bytes of each xdsb:Document (resolved xop:Include, or inline base64)."""
    docs: dict[str, bytes] = {}
    out = []
    for node in _x(xml, _DOCUMENTS):
        doc_id = node.get("id", "")
        include = node.find(f"{{{ebrim.XOP}}}Include")
        if include is not None:
            data = msg.resolve(include.get("href", "")) if msg else None
            if data is None:
                out.append(
                    failed(
                        "DMP-41",
                        f"xop:Include href={found(include.get('href'))} ne désigne aucune partie MIME.",
                        xml.locate(include),
                    )
                )
                continue
            docs[doc_id] = data
            continue
        try:
            docs[doc_id] = base64.b64decode("".join(node.itertext()), validate=True)
        except (binascii.Error, ValueError):
            out.append(failed("DMP-41", f"xdsb:Document {doc_id} : ni xop:Include ni base64 valide.", xml.locate(node)))
    if msg is not None and not out:
        out.append(
            passed(
                "DMP-41",
                f"Paquet MTOM/XOP conforme : {len(docs)} document(s) référencé(s) par xop:Include.",
                xml.locate(xml.root),
            )
        )
    return docs, out


def check_documents(
    sub: Submission,
    docs: dict[str, bytes],
    source: str,
    environment: str,
    xdm: bool = False,
    types: dict[str, str] | None = None,
) -> list[Finding]:
    """DMP-46…50 (and DMP-56 on ``xdm`` media) for each DocumentEntry whose document is at hand; GEN-01/02 when
    the CDA is unreadable. A document is read as XML only when its role says so: the DocumentEntry's mimeType,
    else the declared Content-Type of its MIME part (``types``); a DICOM or PDF part is not malformed XML."""
    out = []
    for entry in sub.entries:
        data = docs.get(entry.id)
        if data is None:
            continue
        where = f"{source}#{entry.id}"
        declared = entry.mime_type or (types or {}).get(entry.id)
        if declared and not is_xml_type(declared):
            out.append(
                skipped(
                    "DMP-46",
                    f"Document {entry.id} de type {declared} : pas un document XML, donc pas un CDA ; "
                    "métadonnées non comparées à un en-tête CDA.",
                    Location(file=where),
                )
            )
            continue
        try:
            cda = parse_xml(data, where)
        except XmlProblem as problem:
            out.append(xml_problem_finding(problem, Location(file=where)))
            continue
        cda = embedded_cda(cda) or cda  # an auto-présentable or signed CDA: its ClinicalDocument
        if etree_ns(cda.root) != ebrim.HL7 or not cda.root.tag.endswith("ClinicalDocument"):
            out.append(
                skipped("DMP-46", f"Document {entry.id} : pas un CDA, métadonnées non comparées.", Location(file=where))
            )
            continue
        out += check_entry(entry, expected_entry(cda, data, environment), xdm)
    return out


@decides("DMP-41", "DMP-42")
def check_iti41(
    content_type: str, body: bytes, source: str, environment: str = "test", header_captured: bool = True
) -> list[Finding]:
    """All ITI-41 request checks on one HTTP request (Content-Type header + body)."""
    where = Location(file=source)
    out: list[Finding] = []
    msg = None
    if "multipart/related" in (content_type or "").lower():
        try:
            msg = parse_mtom(content_type, body)
        except MtomProblem as problem:
            return [failed("DMP-41", problem.message, where)]
        out += _packaging(msg, source, header_captured)
        envelope = msg.envelope
    else:
        if len(body) > MAX_BODY_BYTES:
            return [failed("DMP-41", f"Requête de {len(body)} octets, au-delà de la limite.", where)]
        out.append(
            failed(
                "DMP-41",
                f"Requête non MTOM (Content-Type {content_type or 'inconnu'}) : ITI-41 exige "
                "multipart/related MTOM/XOP.",
                where,
            )
        )
        envelope = body
    try:
        xml = parse_xml(envelope, source)
    except XmlProblem as problem:
        return out + [xml_problem_finding(problem, where)]
    out += _soap(xml)
    if not _x(xml, "/*/*[local-name()='Body']/xdsb:ProvideAndRegisterDocumentSetRequest"):
        return out + [failed("DMP-42", "Corps SOAP sans ProvideAndRegisterDocumentSetRequest.", xml.locate(xml.root))]
    docs, doc_findings = documents_of(xml, msg)
    out += doc_findings
    sub = read_submission(xml)
    doc_ids = {n.get("id", "") for n in _x(xml, _DOCUMENTS)}
    out += check_structure(sub, doc_ids)
    out += check_replacement(sub)
    ss = sub.submission_sets[0] if len(sub.submission_sets) == 1 else None
    out += check_vihf(xml, ss.external(ebrim.SS_PATIENT_ID) if ss else None)
    out += check_documents(sub, docs, source, environment, types=part_types(xml, msg))
    return out


def read_capture(data: bytes) -> tuple[str, bytes, bool]:
    """(Content-Type, body, header captured?) of a saved request: HTTP/MIME headers + body, bare multipart, or XML."""
    data = _REQUEST_LINE.sub(b"", data, count=1)
    stripped = data.lstrip()
    if stripped.startswith(b"--"):
        boundary = stripped.split(b"\n", 1)[0][2:].strip().decode("latin-1")
        return f'multipart/related; boundary="{boundary}"', stripped, False
    if stripped.startswith(b"<"):
        return "application/soap+xml", data, True
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    headers = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(head + b"\r\n\r\n", headersonly=True)
    return headers.get("Content-Type", ""), body, bool(headers.get("Content-Type"))


@decides("GEN-01")
def check_iti41_file(path: str, environment: str = "test") -> list[Finding]:
    """ITI-41 checks on a saved request (input kind ``xds``)."""
    data = read_file(path, MAX_BODY_BYTES)
    if len(data) > MAX_BODY_BYTES:
        return [failed("GEN-01", f"Fichier de plus de {MAX_BODY_BYTES} octets : non analysé.", Location(file=path))]
    content_type, body, captured = read_capture(data)
    return check_iti41(content_type, body, path, environment, captured)
