"""FINESS numbers: format, optional check key, and the région a FINESS belongs to (by its département)."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from stdnum import luhn

REGIONS_FILE = Path(__file__).parent / "regions.toml"


def luhn_ok(number: str) -> bool:
    """Luhn check over the digits (Corsica's 2A/2B read as 20, the usual convention), by python-stdnum."""
    digits = number.replace("2A", "20", 1).replace("2B", "20", 1) if number[:2] in ("2A", "2B") else number
    return digits.isdigit() and luhn.is_valid(digits)


def finess_problem(number: str, pattern: str, key: str) -> str | None:
    """What is wrong with ``number`` under the rule set's format and key, in French; None if it is well formed."""
    if not re.fullmatch(pattern, number):
        return f"« {number} » ne suit pas le format FINESS (9 caractères, motif {pattern})"
    if key == "luhn" and not luhn_ok(number):
        return f"« {number} » : clé de contrôle (Luhn) fausse"
    return None


def department(number: str) -> str:
    return number[:3] if number.startswith("97") else number[:2]


@cache
def _regions() -> dict[str, str]:
    data = tomllib.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    return {dept: region for region, depts in data.items() for dept in depts}


def region_of(number: str) -> str | None:
    return _regions().get(department(number))


def known_regions() -> set[str]:
    return set(_regions().values())
