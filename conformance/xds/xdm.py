"""Check an IHE_XDM.ZIP (ITI-32 media, facts §4.3): the archive is safe, laid out as
INDEX.HTM + README.TXT + IHE_XDM/<SUBSET>/METADATA.XML, and the metadata of each subset
agree with the CDA documents next to them (hash and size mandatory on media)."""

from __future__ import annotations

import posixpath

from ..model import Finding, Location, failed, passed
from ..safezip import SafeZip, ZipLimits, ZipProblem
from ..xmlsafe import XmlProblem, parse_xml
from . import ids
from .ebrim import read_submission
from .iti41 import check_documents, xml_problem_finding
from .structure import check_replacement, check_structure

MAX_ARCHIVE_BYTES = 200 * 1024 * 1024


def _layout(names: list[str], path: str) -> tuple[list[str], list[Finding]]:
    """Subset folders holding a METADATA.XML, and the DMP-51 findings on the archive layout."""
    upper = {n.upper(): n for n in names}
    out = []
    for required in ("INDEX.HTM", "README.TXT"):
        if required not in upper:
            out.append(failed(ids.XDM, f"Fichier {required} absent à la racine de l'archive XDM.", Location(file=path)))
    subsets = sorted(posixpath.dirname(n) for n in names
                     if n.upper().startswith("IHE_XDM/") and n.count("/") == 2 and n.upper().endswith("/METADATA.XML"))
    if not subsets:
        out.append(failed(ids.XDM, "Aucun IHE_XDM/<SUBSET>/METADATA.XML dans l'archive.", Location(file=path),
                          ", ".join(names[:20])))
    return subsets, out


def check_xdm(path: str, environment: str = "test", limits: ZipLimits = ZipLimits()) -> list[Finding]:
    """All XDM checks on one archive file (input kind ``xdm``)."""
    where = Location(file=path)
    with open(path, "rb") as handle:
        data = handle.read(MAX_ARCHIVE_BYTES + 1)
    try:
        if len(data) > MAX_ARCHIVE_BYTES:
            raise ZipProblem(f"Archive de plus de {MAX_ARCHIVE_BYTES} octets : non analysée.", kind="too-large")
        archive = SafeZip(data, limits)
    except ZipProblem as problem:
        return [failed(ids.ARCHIVE, problem.message, where, problem.member)]
    out = [passed(ids.ARCHIVE, f"Archive lisible sans risque ({len(archive.names())} entrées vérifiées).", where)]
    subsets, layout = _layout(archive.names(), path)
    out += layout
    for subset in subsets:
        try:
            out += _subset(archive, subset, path, environment)
        except ZipProblem as problem:
            out.append(failed(ids.ARCHIVE, problem.message, where, problem.member))
    if subsets and not layout:
        out.append(passed(ids.XDM, f"Arborescence XDM conforme : INDEX.HTM, README.TXT, {', '.join(subsets)}.", where))
    return out


def _subset(archive: SafeZip, subset: str, path: str, environment: str) -> list[Finding]:
    member = next(n for n in archive.names() if n.upper() == f"{subset}/METADATA.XML".upper())
    source = f"{path}!{member}"
    try:
        xml = parse_xml(archive.read(member), source)
    except XmlProblem as problem:
        return [xml_problem_finding(problem, Location(file=source))]
    sub = read_submission(xml)
    out = check_structure(sub, xdm=True) + check_replacement(sub)
    docs: dict[str, bytes] = {}
    names = set(archive.names())
    for entry in sub.entries:
        uri = entry.slot("URI")
        if not uri:
            continue
        target = posixpath.normpath(posixpath.join(subset, uri))
        if target not in names:
            out.append(failed(ids.XDM, f"DocumentEntry {entry.id} : URI {uri!r} ne désigne aucun fichier du sous-ensemble.",
                              entry.where(slot="URI")))
            continue
        docs[entry.id] = archive.read(target)
    return out + check_documents(sub, docs, f"{path}!{subset}", environment, require_hash=True)
