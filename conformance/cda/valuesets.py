"""Value sets as (code, codeSystem) pairs, and the reader of CI-SIS SVS files.

Shared by the built-in CDA layers (:mod:`.context`) and the official referential
(:mod:`.official`), which both read SVS folders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..xmlsafe import XmlProblem, parse_xml

SVS_NS = {"svs": "urn:ihe:iti:svs:2008"}
MAX_SVS_BYTES = 20 * 1024 * 1024


@dataclass
class ValueSet:
    """Allowed (code, codeSystem) pairs; a partial built-in list only decides within its systems."""

    oid: str
    name: str
    source: str
    codes: frozenset[tuple[str, str]] = frozenset()
    patterns: dict[str, str] = field(default_factory=dict)  # codeSystem -> regex on @code
    complete: bool = True

    def verdict(self, code: str, system: str) -> bool | None:
        """True/False when the list can decide, None when the code lies outside a partial list."""
        if (code, system) in self.codes:
            return True
        if system in self.patterns:
            return re.fullmatch(self.patterns[system], code) is not None
        if any(s == system for _, s in self.codes):
            return False
        return False if self.complete else None


def load_value_sets(directory: str | Path) -> tuple[dict[str, ValueSet], list[str]]:
    """Read every SVS file of a folder; returns the sets by OID and the files that could not be read."""
    sets: dict[str, ValueSet] = {}
    problems: list[str] = []
    for path in sorted(Path(directory).glob("*.xml")):
        try:
            data = path.read_bytes()
            doc = parse_xml(data, str(path), max_bytes=MAX_SVS_BYTES)
        except (OSError, XmlProblem) as exc:
            problems.append(f"{path.name} : {getattr(exc, 'message', exc)}")
            continue
        for vs in doc.root.iter("{urn:ihe:iti:svs:2008}ValueSet"):
            oid = vs.get("id")
            if not oid:
                continue
            codes = frozenset(
                (c.get("code", ""), c.get("codeSystem", ""))
                for c in vs.iterfind(".//svs:Concept", SVS_NS)
            )
            sets[oid] = ValueSet(oid, vs.get("displayName") or path.stem, f"{path.name} (SVS)", codes)
    return sets, problems
