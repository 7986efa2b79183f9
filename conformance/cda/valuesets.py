"""Value sets as (code, codeSystem) pairs, the reader of CI-SIS SVS files, and the built-in lists.

Shared by the built-in CDA layers (:mod:`.context`), the XDS metadata checks and the official
referential (:mod:`.official`). The built-in lists are data generated from published SVS files
(``scripts/generate_value_sets.py`` writes ``valuesets.json``), so that a code outside a CI-SIS
value set fails instead of passing a shape check.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..xmlsafe import XmlProblem, parse_xml

SVS_NS = {"svs": "urn:ihe:iti:svs:2008"}
MAX_SVS_BYTES = 20 * 1024 * 1024


@dataclass
class ValueSet:
    """Allowed (code, codeSystem) pairs; a partial (hand-written) list only decides within its systems."""

    oid: str
    name: str
    source: str
    codes: frozenset[tuple[str, str]] = frozenset()
    complete: bool = True

    def has_code(self, code: str) -> bool:
        """Whether any system of the set has this code (for codes unique by themselves, such as URNs)."""
        return any(c == code for c, _ in self.codes)

    def verdict(self, code: str, system: str) -> bool | None:
        """True/False when the list can decide, None when the code lies outside a partial list."""
        if (code, system) in self.codes:
            return True
        if any(s == system for _, s in self.codes):
            return False
        return False if self.complete else None


@dataclass(frozen=True)
class SvsSet:
    """One ValueSet element of an SVS file, with what identifies its version."""

    oid: str
    name: str
    file: str
    revision: str
    codes: tuple[tuple[str, str], ...]  # (code, codeSystem) in file order


def read_svs(directory: str | Path) -> tuple[list[SvsSet], list[str]]:
    """Every ValueSet of the SVS files of a folder, and the files that could not be read (in French)."""
    found: list[SvsSet] = []
    problems: list[str] = []
    for path in sorted(Path(directory).glob("*.xml")):
        try:
            doc = parse_xml(path.read_bytes(), str(path), max_bytes=MAX_SVS_BYTES)
        except (OSError, XmlProblem) as exc:
            problems.append(f"{path.name} : {getattr(exc, 'message', exc)}")
            continue
        for vs in doc.root.iter("{urn:ihe:iti:svs:2008}ValueSet"):
            if vs.get("id"):
                codes = tuple(
                    (c.get("code", ""), c.get("codeSystem", "")) for c in vs.iterfind(".//svs:Concept", SVS_NS)
                )
                found.append(
                    SvsSet(
                        vs.get("id"),
                        vs.get("displayName") or path.stem,
                        path.name,
                        vs.get("revisionDate") or vs.get("dateMaj") or "",
                        codes,
                    )
                )
    return found, problems


def load_value_sets(directory: str | Path) -> tuple[dict[str, ValueSet], list[str]]:
    """Read every SVS file of a folder; returns the sets by OID and the files that could not be read."""
    found, problems = read_svs(directory)
    return {s.oid: ValueSet(s.oid, s.name, f"{s.file} (SVS)", frozenset(s.codes)) for s in found}, problems


# --- built-in lists ----------------------------------------------------------------------------
BUILTIN_FILE = "valuesets.json"


def _grouped(codes) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code, system in codes:
        if code not in out.setdefault(system, []):
            out[system].append(code)
    return out


def source_commit(directory: Path) -> tuple[str | None, str]:
    """Commit of an SVS folder: its git checkout's HEAD, else a SOURCE_COMMIT file beside or above it."""
    try:
        top, head = (
            subprocess.run(
                ["git", "-C", str(directory), "rev-parse", arg], capture_output=True, text=True, timeout=10, check=False
            ).stdout.strip()
            for arg in ("--show-toplevel", "HEAD")
        )
        # only the checkout the folder belongs to (TestContenuCDA/jeuxDeValeurs), not an enclosing repo
        if top and head and Path(top).resolve() in (directory.resolve(), directory.resolve().parent):
            return head, "git rev-parse HEAD"
    except (OSError, subprocess.SubprocessError):
        pass
    for folder in (directory, *directory.parents[:2]):
        marker = folder / "SOURCE_COMMIT"
        if marker.is_file():
            return marker.read_text(encoding="utf-8").strip() or None, f"{marker.name} ({folder.name}/)"
    return None, "inconnu"


def generate_builtin(
    svs_dir: str | Path,
    wanted: list[str],
    hand_written: list[dict],
    source: str,
    commit: str | None = None,
    generated: date | None = None,
) -> dict:
    """The data of ``valuesets.json``: each wanted OID from the SVS folder, else its hand-written list.

    ``hand_written`` rows (from ``codes.toml``) are used only for sets the source does not carry, and
    are recorded as such with the fact they were written from. A wanted set found nowhere is an error.
    """
    svs_dir = Path(svs_dir)
    found, problems = read_svs(svs_dir)
    by_oid = {s.oid: s for s in found}
    manual = {row["oid"]: row for row in hand_written}
    origin = "option --commit"
    if commit is None:
        commit, origin = source_commit(svs_dir)
    sets = []
    for oid in dict.fromkeys([*wanted, *manual]):
        if oid in by_oid:
            s = by_oid[oid]
            sets.append(
                {
                    "oid": oid,
                    "name": Path(s.file).stem,
                    "origin": "svs",
                    "file": s.file,
                    "revision": s.revision,
                    "codes": _grouped(s.codes),
                }
            )
        elif oid in manual:
            row = manual[oid]
            sets.append(
                {
                    "oid": oid,
                    "name": row["name"],
                    "origin": "hand-written",
                    "fact": row["source"],
                    "complete": row.get("complete", True),
                    "codes": row.get("codes", {}),
                }
            )
        else:
            raise ValueError(f"jeu de valeurs {oid} absent de {svs_dir} et sans liste écrite à la main")
    return {
        "about": "Généré par scripts/generate_value_sets.py : ne pas modifier à la main.",
        "source": {"name": source, "commit": commit, "commit_from": origin},
        "generated": (generated or date.today()).isoformat(),
        "unreadable_files": problems,
        "value_sets": sets,
    }


def builtin_path() -> str:
    return str(resources.files(__package__) / BUILTIN_FILE)


@lru_cache(maxsize=1)
def builtin_data() -> dict:
    return json.loads((resources.files(__package__) / BUILTIN_FILE).read_text(encoding="utf-8"))


def builtin_version() -> str:
    """One line naming the source and version of the built-in lists, for reports."""
    data = builtin_data()
    src = data["source"]
    manual = [s["name"] for s in data["value_sets"] if s["origin"] == "hand-written"]
    line = f"{src['name']} @ {src['commit'] or 'version inconnue'}, généré le {data['generated']}"
    if manual:
        line += f" ; écrits à la main faute de fichier SVS : {', '.join(manual)}"
    return line


def builtin_value_sets() -> dict[str, ValueSet]:
    """The built-in lists by OID, read from ``valuesets.json`` (a new dict: callers may add to it)."""
    return dict(_builtin_sets())


@lru_cache(maxsize=1)
def _builtin_sets() -> dict[str, ValueSet]:
    data = builtin_data()
    commit = (data["source"]["commit"] or "?")[:8]
    out = {}
    for row in data["value_sets"]:
        if row["origin"] == "svs":
            source = f"{row['file']} ({data['source']['name']} @{commit})"
        else:
            source = f"liste écrite à la main : {row['fact']}"
        out[row["oid"]] = ValueSet(
            oid=row["oid"],
            name=row["name"],
            source=source,
            codes=frozenset((c, s) for s, codes in row["codes"].items() for c in codes),
            complete=row.get("complete", True),
        )
    return out
