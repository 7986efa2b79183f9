"""The one declared link from a requirement to the code that decides it.

A check declares the requirement ids it decides at its definition, ``@decides("INS-02")``, and so
is listed in :data:`DECIDERS` as ``module:function``. ``requirements --couverture`` reads this
registry (after importing the service packages) to say, for every requirement, which code decides
it; a DOIT with no deciding code fails a test. The decorator returns the function unchanged, so a
check stays a plain function, cheap to call and to test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

DECIDERS: dict[str, list[str]] = {}
"""Requirement id -> the ``module:qualified_name`` of each check that decides it, in import order."""


def decides(*requirement_ids: str) -> Callable[[F], F]:
    """Declare that the decorated check decides ``requirement_ids`` (its findings carry these ids)."""
    if not requirement_ids:
        raise ValueError("decides() needs at least one requirement id")

    def declare(func: F) -> F:
        name = f"{func.__module__}:{func.__qualname__}"
        for requirement in requirement_ids:
            names = DECIDERS.setdefault(requirement, [])
            if name not in names:
                names.append(name)
        func.decides = requirement_ids  # type: ignore[attr-defined]
        return func

    return declare
