"""How a value read from an input appears in a French finding message: quoted when there is one, said to be
absent or empty otherwise, never as Python's ``None``, ``''`` or ``['…']`` (issue 17, item 6)."""

from __future__ import annotations

from collections.abc import Iterable


def found(value: str | None) -> str:
    """« value », « rien (attribut absent) » for None, « une valeur vide » for blank text."""
    if value is None:
        return "rien (attribut absent)"
    return f"« {value} »" if value.strip() else "une valeur vide"


def listed(values: Iterable[str]) -> str:
    """Values in sorted order, comma-separated, as a person reads a set."""
    return ", ".join(sorted(values))
