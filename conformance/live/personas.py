"""The fictitious residents live scenarios admit, with the INSi answer each one should get.

The INSi personas (``ins/insi_personas.toml``) plus this folder's ``personas.toml`` (perfect homonyms that stay
CR 02 after every retry, and traits nobody holds for CR 01), and what the DMP mock answers for some of them
(:func:`dmp_profiles`). The expected answer is computed
with the mock's own matching rule on the full traits, so a persona file edit cannot leave a
scenario silently testing the wrong case.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..ins.insi_personas import Persona, TraitsQuery, load_personas, match_traits, match_vitale
from .driver import Traits, VitaleCard

LIVE_PERSONAS = Path(__file__).with_name("personas.toml")
FAULT = "faute"


@dataclass(frozen=True)
class LivePersona:
    id: str
    description: str
    traits: Traits
    expected_traits: str  # INSi answer to a search by traits: "00", "01", "02" or FAULT
    card: VitaleCard | None = None
    expected_vitale: str | None = None

    def expected(self, by_vitale: bool) -> str | None:
        return self.expected_vitale if by_vitale else self.expected_traits


def ins_form(value: str) -> str:
    """How INSi writes a trait: upper case, no diacritics (facts §7.6; what INSi returns, not a proven input rule)."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def extra_personas(path: Path = LIVE_PERSONAS) -> list[Persona]:
    """Personas to add to the INSi mock for the live scenarios."""
    return load_personas(path)


def _answer(matches: list[Persona]) -> str:
    if len(matches) > 1:
        return "02"
    if not matches:
        return "01"
    return FAULT if matches[0].fault is not None else "00"


def _traits(raw: Persona | dict[str, Any]) -> Traits:
    if isinstance(raw, Persona):
        return Traits(raw.birth_name, raw.first_names, raw.sex, raw.birth_date, raw.birth_place)
    return Traits(raw["birth_name"], tuple(raw["first_names"]), raw["sex"], raw["birth_date"], raw.get("birth_place"))


def live_personas(mock_personas: list[Persona], path: Path = LIVE_PERSONAS) -> dict[str, LivePersona]:
    """Every persona the mock knows, plus the absent ones of ``path``, by id."""

    def expected(traits: Traits) -> str:
        query = TraitsQuery(traits.birth_name, traits.first_names, traits.sex, traits.birth_date, traits.birth_place)
        return _answer(match_traits(mock_personas, query))

    out: dict[str, LivePersona] = {}
    for p in mock_personas:
        card = expected_vitale = None
        if p.vitale_rank is not None and p.ins is not None:
            card = VitaleCard(p.ins.nir, p.ins.key, p.birth_name, p.birth_date, int(p.vitale_rank))
            expected_vitale = _answer(match_vitale(mock_personas, p.ins.nir, p.ins.key, p.birth_date))
        out[p.id] = LivePersona(p.id, p.description, _traits(p), expected(_traits(p)), card, expected_vitale)
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    for raw in data.get("absent", []):
        traits = _traits(raw)
        out[raw["id"]] = LivePersona(raw["id"], raw.get("description", ""), traits, expected(traits))
    for raw in data.get("saisie", []):
        known = out[raw["of"]].traits
        typed = replace(known, birth_name=raw["birth_name"], first_names=tuple(raw["first_names"]))
        # The answer a DUI gets once it writes the typed traits the INSi way (whether INSi demands it: unverified).
        written = replace(
            typed, birth_name=ins_form(typed.birth_name), first_names=tuple(ins_form(n) for n in typed.first_names)
        )
        out[raw["id"]] = LivePersona(raw["id"], raw.get("description", ""), typed, expected(written))
    return out


@dataclass(frozen=True)
class DmpProfile:
    """What the DMP mock's existence test answers for a persona's INS (a state of ``mocks.dmp.DMP_STATES``), and
    whether the resident opposes access to the DMP (recorded by the user when the record is opened)."""

    state: str = "present"
    opposition: bool = False


def dmp_profiles(path: Path = LIVE_PERSONAS) -> dict[str, DmpProfile]:
    """The ``[[dmp]]`` rows of ``path`` by persona id; a persona without one has the default profile."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return {
        raw["of"]: DmpProfile(raw.get("etat", DmpProfile.state), bool(raw.get("opposition", False)))
        for raw in data.get("dmp", [])
    }
