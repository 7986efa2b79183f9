"""Load the requirement catalogue: one TOML file per service socle under ``catalogue/``.

Requirements are data so that an ARS or a vendor can read them, diff them between
releases and add their own (``--catalogue DIR``) without touching code.

Whether a requirement blocks is never listed per row: one principle, written in the header of
``catalogue/gen.toml`` and in the README, decides it from the row's level and its
``casse_echange`` flag (:meth:`Requirement.blocks`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..model import ADVISORY_LEVEL, Finding, graded

PROFILES = ("bac-a-sable", "recette", "homologation")
SERVICES = ("GEN", "INS", "DMP", "MSS", "PSC", "FIN")
LEVELS = ("DOIT", ADVISORY_LEVEL)
WAVES = (1, 2)  # Ségur waves a requirement can belong to (``vagues`` in the catalogue; both when absent)
ID_PATTERN = re.compile(r"^(GEN|INS|DMP|MSS|PSC|FIN)-\d{2,3}$")


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class Requirement:
    id: str
    service: str
    statement: str
    level: str
    source: str
    breaks_exchange: bool = False
    mode: str = "hors-ligne"
    official_id: str = ""
    needs_referential: bool = False  # evaluated by the official referential, mandatory in homologation
    waves: tuple[int, ...] = WAVES  # the Ségur waves whose referencing judges it (vague 2 adds requirements)

    def blocks(self, profile: str) -> bool:
        """The blocking principle: a PEUT never blocks; ``bac-a-sable`` blocks on the DOIT whose breach
        breaks the exchange itself; ``recette`` and ``homologation`` block on every DOIT."""
        if profile not in PROFILES:
            raise ValueError(f"profil inconnu : {profile!r}")
        if self.level != "DOIT":
            return False
        return self.breaks_exchange if profile == "bac-a-sable" else True

    @property
    def blocking(self) -> tuple[str, ...]:
        """Profiles in which the requirement blocks (derived, for listings)."""
        return tuple(p for p in PROFILES if self.blocks(p))


class Catalogue:
    def __init__(self, requirements: list[Requirement], outside: frozenset[str] = frozenset()):
        self._by_id: dict[str, Requirement] = {}
        for req in requirements:
            if req.id in self._by_id:
                raise CatalogueError(f"Exigence {req.id} définie deux fois dans le catalogue.")
            self._by_id[req.id] = req
        self._outside = outside  # requirements of the full catalogue that the chosen wave does not judge

    def in_wave(self, wave: int) -> Catalogue:
        """The requirements the Ségur wave ``wave`` judges: the only ones a run of that wave selects, lists and
        reports; a finding about one of the others is dropped when graded (:meth:`grade`)."""
        check_wave(wave)
        inside = [r for r in self._by_id.values() if wave in r.waves]
        return Catalogue(inside, self._outside | {r.id for r in self._by_id.values() if wave not in r.waves})

    def judged(self, requirement_ids: Iterable[str]) -> list[str]:
        """The ids a run on this catalogue judges, in order: those of another wave left out (an id no catalogue
        knows stays, the roll-up reports it)."""
        return [rid for rid in requirement_ids if rid not in self._outside]

    def outside_wave(self, requirement_ids: Iterable[str]) -> bool:
        """A scenario verifying these requirements has nothing to judge: it names some, all of another wave."""
        ids = list(requirement_ids)
        return bool(ids) and not self.judged(ids)

    def __contains__(self, req_id: str) -> bool:
        return req_id in self._by_id

    def __getitem__(self, req_id: str) -> Requirement:
        return self._by_id[req_id]

    def __iter__(self):
        return iter(sorted(self._by_id.values(), key=_sort_key))

    def __len__(self) -> int:
        return len(self._by_id)

    def grade(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings as their requirements' levels make them (:func:`~dui_conformance.model.graded`): a broken
        PEUT is an avertissement. A requirement the catalogue does not know is left as found (the roll-up
        reports it). The one place where a finding about a requirement of another wave (:meth:`in_wave`) is
        dropped, whichever check made it: every step and every live audit grades its findings here."""
        by_id, outside = self._by_id, self._outside
        return [
            graded(f, by_id[f.requirement].level) if f.requirement in by_id else f
            for f in findings
            if f.requirement not in outside
        ]


def _sort_key(req: Requirement) -> tuple[int, str, int]:
    prefix, number = req.id.split("-")
    return SERVICES.index(prefix), prefix, int(number)


def _parse(path_name: str, text: str) -> list[Requirement]:
    data = tomllib.loads(text)
    out = []
    for row in data.get("requirement", []):
        req = Requirement(
            id=row["id"],
            service=row["service"],
            statement=row["statement"],
            level=row["level"],
            source=row["source"],
            breaks_exchange=row.get("casse_echange", False),
            mode=row.get("mode", "hors-ligne"),
            official_id=row.get("official_id", ""),
            needs_referential=row.get("referentiel", False),
            waves=tuple(_as_list(row.get("vagues", WAVES))),
        )
        problems = []
        if not ID_PATTERN.match(req.id) or not req.id.startswith(req.service + "-"):
            problems.append("identifiant invalide ou service incohérent")
        if req.level not in LEVELS:
            problems.append(f"niveau {req.level!r} hors de {LEVELS}")
        if "blocking" in row:
            problems.append(
                "champ « blocking » retiré : le blocage suit le principe du catalogue "
                "(niveau DOIT/PEUT et casse_echange)"
            )
        if not isinstance(req.breaks_exchange, bool):
            problems.append("casse_echange doit valoir true ou false")
        if not isinstance(req.needs_referential, bool):
            problems.append("referentiel doit valoir true ou false")
        if not req.waves or any(w not in WAVES for w in req.waves):
            problems.append(f"vagues {list(req.waves)!r} : une liste non vide prise dans {list(WAVES)} attendue")
        if problems:
            raise CatalogueError(f"{path_name} : exigence {req.id} : " + ", ".join(problems))
        out.append(req)
    return out


def _as_list(value: object) -> list[Any]:
    """A ``vagues`` value as written, one element when a single wave was given without brackets (any type: the
    row's validation names a wrong one)."""
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_wave(wave: object) -> int:
    """A Ségur wave the catalogue knows, or a French error naming those it knows."""
    if isinstance(wave, int) and not isinstance(wave, bool) and wave in WAVES:
        return wave
    raise CatalogueError(f"vague {wave!r} inconnue : attendue {' ou '.join(map(str, WAVES))}.")


@lru_cache(maxsize=8)
def run_catalogue(extra_dirs: tuple[str, ...] = (), wave: int | None = None) -> Catalogue:
    """:func:`load_catalogue`, read once per process for each set of folders (and restricted to the run's
    ``wave``, :meth:`Catalogue.in_wave`): every step of every document grades its findings with it."""
    catalogue = load_catalogue(extra_dirs)
    return catalogue if wave is None else catalogue.in_wave(wave)


def grade(findings: Iterable[Finding]) -> list[Finding]:
    """The findings graded by the built-in catalogue (:meth:`Catalogue.grade`), for a check that reports the
    findings of other checks inside its own requirement: a DOIT wraps their failures, never a PEUT's advice."""
    return run_catalogue().grade(findings)


def load_catalogue(extra_dirs: Sequence[str | Path] = ()) -> Catalogue:
    """The built-in catalogue plus any extra folder of ``*.toml`` files."""
    requirements: list[Requirement] = []
    builtin = resources.files(__package__) / "catalogue"
    for entry in sorted(builtin.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            requirements += _parse(entry.name, entry.read_text(encoding="utf-8"))
    for folder in extra_dirs:
        for path in sorted(Path(folder).glob("*.toml")):
            requirements += _parse(str(path), path.read_text(encoding="utf-8"))
    return Catalogue(requirements)
