"""Official requirement ids: which requirement of a Ségur REM or socle referential each catalogue row verifies.

The mapping is data (``official.toml``) so that a vendor can re-key it without code when the published DUI vague 2
REM replaces the 2022 health-sector draft it points to today. Loading validates it against the catalogue: a mapping
that names an unknown requirement or an undeclared official id would silently claim coverage.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .catalogue import Catalogue
from .rem import RemRequirement, rekey
from .waves import STATUS_LABELS, STATUSES

# How much of an official id a mapped requirement verifies: all of it, or part of it (a judgement the note explains).
COVERAGES = ("complete", "partielle")
# A row's state in the Squash export, abbreviated as the reference notes do (A, R, W).
DRAFT_STATUSES = {"APPROVED": "A", "UNDER_REVIEW": "R", "WORK_IN_PROGRESS": "W"}
# The vague 2 shared-service families that `requirements --referentiel va2` lists (issue 19).
VA2_FAMILIES = ("SC.INS", "SC.DMP", "SC.MSS", "SC.PSC", "SC.CDA")
_FAMILY = re.compile(r"^[^/]+(?=/)|^.+(?=\.[^.]*$)")


class OfficialError(ValueError):
    pass


@dataclass(frozen=True)
class Referential:
    key: str
    name: str
    version: str
    status: str
    source: str
    reference: str  # file under ../shared/reference that cites its ids
    provisoire: bool = False


@dataclass(frozen=True)
class OfficialId:
    id: str
    referential: Referential
    cite: str  # the text of the reference file that names it (the id itself, or an abbreviated group)
    draft_status: str = ""  # its state in a draft (DRAFT_STATUSES), when the referential is one

    @property
    def family(self) -> str:
        return family(self.id)


@dataclass(frozen=True)
class Mapping:
    requirement: str
    official: OfficialId
    status: str
    note: str = ""
    couverture: str = "complete"

    def to_dict(self) -> dict:
        ref = self.official.referential
        return {
            "id": self.official.id,
            "referential": ref.name,
            "version": ref.version,
            "status": self.status,
            "source": ref.source,
            "provisoire": ref.provisoire,
            "draft_status": self.official.draft_status,
            "note": self.note,
            "couverture": self.couverture,
        }


@dataclass(frozen=True)
class OfficialMap:
    referentials: dict[str, Referential]
    ids: dict[str, OfficialId]
    mappings: tuple[Mapping, ...]

    def of(self, requirement: str) -> list[Mapping]:
        return [m for m in self.mappings if m.requirement == requirement]

    def covered(self) -> dict[str, list[str]]:
        """Official id → the catalogue requirements that verify it."""
        out: dict[str, list[str]] = {}
        for m in self.mappings:
            out.setdefault(m.official.id, []).append(m.requirement)
        return out


def family(official_id: str) -> str:
    """``SC.DMP/UX.07`` → ``SC.DMP``, ``SC.MSS.14`` → ``SC.MSS``, ``INS/va1.53`` → ``INS`` (spaces dropped: the
    Squash export writes ``SC. DMP/HISTO.07``)."""
    compact = official_id.replace(" ", "")
    match = _FAMILY.match(compact)
    return match.group(0) if match else compact


def _text(row: dict, key: str, where: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise OfficialError(f"{where} : champ « {key} » absent ou vide.")
    return value


def _status(value: object, where: str) -> str:
    if value not in STATUSES:
        raise OfficialError(f"{where} : statut {value!r} hors de {', '.join(STATUSES)}.")
    return str(value)


def parse_official(text: str, requirement_ids: Iterable[str], name: str = "official.toml") -> OfficialMap:
    """Parse and validate a mapping file against the catalogue's requirement ids."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OfficialError(f"{name} : TOML illisible ({exc}).") from exc
    known = set(requirement_ids)
    referentials = {}
    for key, row in data.get("referential", {}).items():
        where = f"{name} : référentiel {key}"
        provisoire = row.get("provisoire", False)
        if not isinstance(provisoire, bool):
            raise OfficialError(f"{where} : provisoire doit valoir true ou false.")
        referentials[key] = Referential(
            key=key,
            name=_text(row, "name", where),
            version=_text(row, "version", where),
            status=_status(row.get("status"), where),
            source=_text(row, "source", where),
            reference=_text(row, "reference", where),
            provisoire=provisoire,
        )
    ids: dict[str, OfficialId] = {}
    for row in data.get("official", []):
        oid = _text(row, "id", f"{name} : identifiant officiel")
        where = f"{name} : identifiant officiel {oid}"
        if oid in ids:
            raise OfficialError(f"{where} déclaré deux fois.")
        ref_key = _text(row, "referential", where)
        if ref_key not in referentials:
            raise OfficialError(f"{where} : référentiel {ref_key!r} non déclaré.")
        draft = row.get("draft_status", "")
        if draft and draft not in DRAFT_STATUSES:
            raise OfficialError(f"{where} : draft_status {draft!r} hors de {', '.join(DRAFT_STATUSES)}.")
        ids[oid] = OfficialId(oid, referentials[ref_key], row.get("cite", oid), draft)
    mappings: list[Mapping] = []
    seen = set()
    for row in data.get("mapping", []):
        req = _text(row, "requirement", f"{name} : correspondance")
        oid = _text(row, "official", f"{name} : correspondance {req}")
        where = f"{name} : correspondance {req} → {oid}"
        if req not in known:
            raise OfficialError(f"{where} : exigence {req} absente du catalogue.")
        if oid not in ids:
            raise OfficialError(f"{where} : identifiant officiel non déclaré dans [[official]].")
        if (req, oid) in seen:
            raise OfficialError(f"{where} : correspondance en double.")
        seen.add((req, oid))
        status = _status(row.get("status", ids[oid].referential.status), where)
        couverture = row.get("couverture", COVERAGES[0])
        if couverture not in COVERAGES:
            raise OfficialError(f"{where} : couverture {couverture!r} hors de {', '.join(COVERAGES)}.")
        mappings.append(Mapping(req, ids[oid], status, row.get("note", ""), couverture))
    return OfficialMap(referentials, ids, tuple(mappings))


def load_official(catalogue: Catalogue, path: str | Path | None = None) -> OfficialMap:
    """The built-in mapping, or a vendor's file of the same form (``path``), validated against ``catalogue``."""
    if path is None:
        return parse_official(
            (resources.files(__package__) / "official.toml").read_text(encoding="utf-8"), [r.id for r in catalogue]
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OfficialError(f"{path} : fichier de correspondances illisible ({type(exc).__name__}).") from exc
    return parse_official(text, [r.id for r in catalogue], str(path))


def uncovered(universe: Iterable[str], covered: Iterable[str]) -> dict[str, list[str]]:
    """The ids of ``universe`` that no requirement covers, by family, in order."""
    done = set(covered)
    out: dict[str, list[str]] = {}
    for oid in universe:
        if oid not in done:
            out.setdefault(family(oid), []).append(oid)
    return out


def uncovered_report(official: OfficialMap, rem: list[RemRequirement] | None = None, rem_name: str = "") -> dict:
    """What ``requirements --referentiel va2`` (or ``--referentiel-rem``) prints: the official ids that no catalogue
    requirement verifies, by family, and how many are covered."""
    if rem is None:
        if "va2" not in official.referentials:
            raise OfficialError("Les correspondances ne déclarent pas le référentiel va2 ([referential.va2]).")
        ref = official.referentials["va2"]
        universe = [o.id for o in official.ids.values() if o.referential is ref and o.family in VA2_FAMILIES]
        covering = {oid: reqs for oid, reqs in official.covered().items() if oid in universe}
        head: dict[str, object] = {
            "referential": ref.name,
            "version": ref.version,
            "status": ref.status,
            "source": ref.source,
            "provisoire": ref.provisoire,
        }
    else:
        universe = [r.id for r in rem]
        covering = rekey(rem, official.covered())
        head = {
            "referential": rem_name,
            "version": "",
            "status": "tel que fourni",
            "source": rem_name,
            "provisoire": False,
        }
    drafts = {o.id: o.draft_status for o in official.ids.values() if o.draft_status and o.id in universe}
    return head | {
        "total": len(universe),
        "draft_status": drafts,
        "covered": {oid: covering[oid] for oid in universe if oid in covering},
        "uncovered": uncovered(universe, covering),
    }


def format_uncovered(report: dict) -> list[str]:
    """The French plain-text form of :func:`uncovered_report`."""
    status = STATUS_LABELS.get(report["status"], report["status"]) + (", provisoire" if report["provisoire"] else "")
    lines = [f"Référentiel : {report['referential']} ({status})"]
    if report["version"]:
        lines.append(f"Version : {report['version']}")
    lines.append(f"Source : {report['source']}")
    lines.append("Identifiants officiels qu'aucune exigence du catalogue ne couvre, par famille :")
    drafts = report["draft_status"]
    if drafts:
        lines.append("(état dans le projet : A approuvée, R en relecture, W en cours de rédaction)")
    for fam, ids in report["uncovered"].items():
        shown = [f"{oid} ({DRAFT_STATUSES[drafts[oid]]})" if oid in drafts else oid for oid in ids]
        lines.append(f"  {fam} ({len(ids)}) : {', '.join(shown)}")
    if not report["uncovered"]:
        lines.append("  aucun")
    lines.append(f"{len(report['covered'])}/{report['total']} identifiant(s) couvert(s) par au moins une exigence.")
    return lines
