"""Fictitious identities the INSi mock answers with, and the matching rule.

Matching follows the INSi search by traits: birth name + sex + birth date must be equal;
each first name sent must be one of the person's birth first names (or the full list), and
the birth place, when sent, must be equal. Comparison is exact (case and accents) by default,
so a DUI that sends lower-case traits gets CR 01, as well as a deviation; whether the real
INSi folds case is not documented publicly, hence the ``case_sensitive`` switch.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PERSONAS = Path(__file__).with_name("insi_personas.toml")


@dataclass(frozen=True)
class InsRecord:
    nir: str
    key: str
    oid: str
    type: str | None = None
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class PersonaFault:
    siram: str
    desir: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Persona:
    id: str
    description: str
    birth_name: str
    first_names: tuple[str, ...]
    sex: str
    birth_date: str
    birth_place: str
    ins: InsRecord | None = None
    history: tuple[InsRecord, ...] = ()
    fault: PersonaFault | None = None
    vitale_rank: str | None = None

    @property
    def matricule(self) -> str | None:
        return self.ins.nir + self.ins.key if self.ins else None


@dataclass(frozen=True)
class TraitsQuery:
    birth_name: str | None
    first_names: tuple[str, ...]
    sex: str | None
    birth_date: str | None
    birth_place: str | None


def _persona(raw: dict) -> Persona:
    try:
        persona = Persona(
            id=raw["id"],
            description=raw.get("description", ""),
            birth_name=raw["birth_name"],
            first_names=tuple(raw["first_names"]),
            sex=raw["sex"],
            birth_date=raw["birth_date"],
            birth_place=raw["birth_place"],
            ins=InsRecord(**raw["ins"]) if "ins" in raw else None,
            history=tuple(InsRecord(**h) for h in raw.get("history", [])),
            fault=PersonaFault(**raw["fault"]) if "fault" in raw else None,
            vitale_rank=raw["vitale"]["rank"] if "vitale" in raw else None,
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"Identité fictive « {raw.get('id', '?')} » incomplète ou mal formée : {exc}") from None
    if (persona.ins is None) == (persona.fault is None):
        raise ValueError(f"Identité fictive « {persona.id} » : il faut soit « ins », soit « fault ».")
    return persona


def load_personas(path: Path | str | None = None) -> list[Persona]:
    """Read a persona TOML file (default: the one shipped next to this module)."""
    with open(path or DEFAULT_PERSONAS, "rb") as handle:
        data = tomllib.load(handle)
    personas = [_persona(raw) for raw in data.get("persona", [])]
    ids = [p.id for p in personas]
    if len(ids) != len(set(ids)):
        raise ValueError("Identifiants d'identités fictives en double.")
    return personas


def _same(sent: str, known: str, case_sensitive: bool) -> bool:
    return sent == known if case_sensitive else sent.upper() == known.upper()


def match_traits(personas: list[Persona], query: TraitsQuery, case_sensitive: bool = True) -> list[Persona]:
    if not (query.birth_name and query.sex and query.birth_date):
        return []
    found = []
    for p in personas:
        names = (*p.first_names, " ".join(p.first_names))
        if not (
            _same(query.birth_name, p.birth_name, case_sensitive)
            and query.sex == p.sex
            and query.birth_date == p.birth_date
            and all(any(_same(sent, n, case_sensitive) for n in names) for sent in query.first_names)
            and (query.birth_place is None or query.birth_place == p.birth_place)
        ):
            continue
        found.append(p)
    return found


def match_vitale(personas: list[Persona], nir: str | None, key: str | None, birth_date: str | None) -> list[Persona]:
    """Card holders whose own matricule is on the card (and birth date, when sent, equal)."""
    return [
        p
        for p in personas
        if p.vitale_rank is not None
        and p.ins is not None
        and p.ins.nir == nir
        and p.ins.key == key
        and (birth_date is None or birth_date == p.birth_date)
    ]
