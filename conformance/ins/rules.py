"""Load the configurable INS rules (``rules.toml``) for facts no official text confirmed.

Keeping them as data lets an ARS or a vendor align the harness on a newer reading of the
Référentiel INS without touching code; a user file overrides only the keys it names.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

BIRTHPLACE_MODES = ("commune", "departement", "aucune")
FIRST_GIVEN_MODES = ("first-word", "prefix")
GIVEN_LIST_MODES = ("list", "further")


class RulesError(ValueError):
    pass


@dataclass(frozen=True)
class InsRules:
    corsica_substitution: dict[str, str]
    nir_sex_digits: dict[str, str]
    nia_sex_digits: dict[str, str]
    month_exceptions: tuple[tuple[int, int], ...]
    birthplace_comparison: str
    corsica_legacy_department: str
    partial_forms: tuple[str, ...]
    zero_filled_is_partial: bool
    reject_future: bool
    letters: str
    separators: tuple[str, ...]
    forbid_edge_separators: bool
    forbid_consecutive_separators: bool
    first_given_match: str
    cog_pattern: re.Pattern[str]
    hl7_identifier_types: tuple[str, ...]
    hl7_legacy_identifier_types: tuple[str, ...]
    hl7_given_list_component: str

    def is_month_exception(self, month: int) -> bool:
        return any(low <= month <= high for low, high in self.month_exceptions)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise RulesError(f"Règle INS {name} = {value!r} : valeurs admises {', '.join(allowed)}.")
    return value


def _build(data: dict[str, Any]) -> InsRules:
    mat, nvt, bd = data["matricule"], data["nir_vs_traits"], data["birth_date"]
    chars, hl7 = data["characters"], data["hl7v2"]
    return InsRules(
        corsica_substitution=dict(mat["corsica_substitution"]),
        nir_sex_digits=dict(mat["sex_digits"]["nir"]),
        nia_sex_digits=dict(mat["sex_digits"]["nia"]),
        month_exceptions=tuple((int(lo), int(hi)) for lo, hi in nvt["month_exceptions"]),
        birthplace_comparison=_choice(nvt["birthplace"], BIRTHPLACE_MODES, "nir_vs_traits.birthplace"),
        corsica_legacy_department=nvt["corsica_legacy_department"],
        partial_forms=tuple(bd["partial_forms"]),
        zero_filled_is_partial=bool(bd["zero_filled_is_partial"]),
        reject_future=bool(bd["reject_future"]),
        letters=chars["letters"],
        separators=tuple(chars["separators"]),
        forbid_edge_separators=bool(chars["forbid_edge_separators"]),
        forbid_consecutive_separators=bool(chars["forbid_consecutive_separators"]),
        first_given_match=_choice(
            data["given_names"]["first_given_match"], FIRST_GIVEN_MODES, "given_names.first_given_match"
        ),
        cog_pattern=re.compile(data["birthplace"]["cog_pattern"]),
        hl7_identifier_types=tuple(hl7["identifier_type_codes"]),
        hl7_legacy_identifier_types=tuple(hl7["legacy_identifier_type_codes"]),
        hl7_given_list_component=_choice(hl7["given_list_component"], GIVEN_LIST_MODES, "hl7v2.given_list_component"),
    )


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    return tomllib.loads(resources.files(__package__).joinpath("rules.toml").read_text("utf-8"))


def load_rules(path: str | Path | None = None) -> InsRules:
    """Packaged rules, overridden key by key by the TOML file at ``path`` when given."""
    data = _defaults()
    if path is not None:
        try:
            data = _merge(data, tomllib.loads(Path(path).read_text("utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RulesError(f"Fichier de règles INS illisible ({path}) : {exc}") from None
    try:
        return _build(data)
    except (KeyError, TypeError, re.error) as exc:
        raise RulesError(f"Règles INS incomplètes ou invalides : {exc}") from None


@lru_cache(maxsize=1)
def default_rules() -> InsRules:
    return load_rules()
