"""Run-level checks: a requirement's findings read again once the whole run is known.

A check judges one input. A few rules also say something of the run as a whole: when every INS of a run
is a production one, INS-04's failures are more likely the ``--environnement`` option than every document.
The package that decides such a requirement registers its run-level check here when it is imported
(``ins``: INS-04); after the roll-up the runner hands every requirement that has one its findings, the
same way for all (:func:`~dui_conformance.runner.execute`).
"""

from __future__ import annotations

from collections.abc import Callable

from .model import Finding
from .settings import RunSettings

RunCheck = Callable[[list[Finding], RunSettings], list[Finding]]
"""``check(findings, settings)``: the findings to report instead of the requirement's findings over the run
(the same list, unchanged, when the check has nothing to add)."""

RUN_CHECKS: dict[str, RunCheck] = {}
"""Requirement id -> its run-level check."""


def register_run_check(requirement: str, check: RunCheck) -> None:
    """Declare ``check`` as ``requirement``'s run-level check (one per requirement)."""
    if RUN_CHECKS.setdefault(requirement, check) is not check:
        raise ValueError(f"{requirement} a déjà une vérification au niveau de l'exécution.")
