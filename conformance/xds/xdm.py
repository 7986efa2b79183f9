"""Check an IHE_XDM.ZIP (ITI-32 media, facts §4.3): the archive is safe, laid out as
INDEX.HTM + README.TXT + IHE_XDM/<SUBSET>/METADATA.XML, and the metadata of each subset
agree with the CDA documents next to them (hash and size mandatory on media)."""

from __future__ import annotations

import posixpath

from ..decides import decides
from ..inputs import CDA, read_file, recognise
from ..model import Finding, Location, failed, passed
from ..safezip import SafeZip, ZipLimits, ZipProblem
from ..xmlsafe import XmlProblem, parse_xml
from .ebrim import read_submission
from .iti41 import check_documents, xml_problem_finding
from .structure import check_replacement, check_structure

MAX_ARCHIVE_BYTES = 200 * 1024 * 1024


@decides("DMP-51")
def _layout(names: list[str], path: str) -> tuple[list[str], list[Finding]]:
    """Subset folders holding a METADATA.XML, and the DMP-51 findings on the archive layout."""
    upper = {n.upper(): n for n in names}
    out = []
    for required in ("INDEX.HTM", "README.TXT"):
        if required not in upper:
            out.append(
                failed("DMP-51", f"Fichier {required} absent à la racine de l'archive XDM.", Location(file=path))
            )
    subsets = sorted(
        posixpath.dirname(n)
        for n in names
        if n.upper().startswith("IHE_XDM/") and n.count("/") == 2 and n.upper().endswith("/METADATA.XML")
    )
    if not subsets:
        out.append(
            failed(
                "DMP-51",
                "Aucun IHE_XDM/<SUBSET>/METADATA.XML dans l'archive.",
                Location(file=path),
                ", ".join(names[:20]),
            )
        )
    return subsets, out


def _open(data: bytes, limits: ZipLimits) -> SafeZip:
    """The vetted archive; a member that is itself an archive is refused: XDM media carry
    documents, and an archive inside would escape the caps that protect the harness."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ZipProblem(f"Archive de plus de {MAX_ARCHIVE_BYTES} octets : non analysée.", kind="too-large")
    archive = SafeZip(data, limits)
    for name in archive.names():
        if name.upper().endswith(".ZIP"):
            raise ZipProblem(f"Archive imbriquée refusée dans l'archive XDM : {name!r}.", name, "depth")
    return archive


def check_xdm(path: str, environment: str = "test", limits: ZipLimits = ZipLimits()) -> list[Finding]:
    """All XDM checks on one archive file (input kind ``xdm``)."""
    return check_xdm_data(read_file(path, MAX_ARCHIVE_BYTES), path, environment, limits)


@decides("DMP-51", "DMP-52")
def check_xdm_data(data: bytes, path: str, environment: str = "test", limits: ZipLimits = ZipLimits()) -> list[Finding]:
    """All XDM checks on archive bytes; ``path`` names it in findings (``message.eml!IHE_XDM.ZIP``)."""
    where = Location(file=path)
    try:
        archive = _open(data, limits)
    except ZipProblem as problem:
        return [failed("DMP-52", problem.message, where, problem.member)]
    out = [passed("DMP-52", f"Archive lisible sans risque ({len(archive.names())} entrées vérifiées).", where)]
    subsets, layout = _layout(archive.names(), path)
    out += layout
    for subset in subsets:
        try:
            out += _subset(archive, subset, path, environment)
        except ZipProblem as problem:
            out.append(failed("DMP-52", problem.message, where, problem.member))
    if subsets and not layout:
        out.append(passed("DMP-51", f"Arborescence XDM conforme : INDEX.HTM, README.TXT, {', '.join(subsets)}.", where))
    return out


@decides("DMP-51")
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
            out.append(
                failed(
                    "DMP-51",
                    f"DocumentEntry {entry.id} : URI {uri!r} ne désigne aucun fichier du sous-ensemble.",
                    entry.where(slot="URI"),
                )
            )
            continue
        docs[entry.id] = archive.read(target)
    return out + check_documents(sub, docs, f"{path}!{subset}", environment, xdm=True)


def xdm_documents(data: bytes, limits: ZipLimits = ZipLimits()) -> dict[str, bytes]:
    """CDA documents of the subsets, by member name ({} when the archive is refused: DMP-52 says why)."""
    try:
        archive = _open(data, limits)
        out = {}
        for name in archive.names():
            if name.upper().startswith("IHE_XDM/") and not name.upper().endswith("/METADATA.XML"):
                member = archive.read(name)
                if recognise(member[:8192]) == CDA:
                    out[name] = member
        return out
    except ZipProblem:
        return {}
