"""Usage criteria for the last funding tranche: DUI usage exports, indicators, ARS targets.

:func:`usage_indicators.compute` is the seam that takes counts; today they come from a DUI's
usage export (:mod:`.export`). Computing them from the exchanges recorded by the mocks in a live
run is not done yet: such a source would build :class:`PeriodCounts` and call the same functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..funding import DEFAULT_CAMPAIGN, get_ruleset, load_cluster
from ..funding.files import InputError
from ..funding.finess import finess_problem
from .export import PeriodCounts, check_rows, read_export
from .indicators import Indicators, Targets, combine, compare, compute, evaluate_usage, load_targets


def evaluate_exports(
    exports: list[Path], targets_path: Path, cluster_path: Path | None = None, extra_rulesets: list[Path] | None = None
) -> dict[str, Any]:
    """Read every export and the targets, check them together, and evaluate ESMS by ESMS.

    With a cluster file, a FINESS absent from it is an error and its ESMS without data are listed;
    the FINESS format is the one of the cluster's campaign (else of the default campaign).
    """
    targets = load_targets(targets_path)
    cluster = load_cluster(cluster_path) if cluster_path else None
    finess_rule = get_ruleset(cluster["campagne"] if cluster else DEFAULT_CAMPAIGN, extra_rulesets).rule("finess") or {
        "motif": r"^.{9}$",
        "cle": "aucune",
    }
    names = {e["finess"]: e["nom"] for og in cluster["organismes"] for e in og["esms"]} if cluster else None
    rows: list[PeriodCounts] = []
    errors: list[str] = []
    for path in exports:
        try:
            rows += read_export(path)
        except InputError as exc:
            errors += [f"{exc.source} : {e}" for e in exc.errors]
    if not errors:
        errors = check_rows(
            rows,
            set(names) if names is not None else None,
            lambda f: finess_problem(f, finess_rule["motif"], finess_rule["cle"]),
        )
    if errors:
        raise InputError("exports d'usage", errors)
    result = evaluate_usage(rows, targets, names, [str(p) for p in exports])
    result["grappe"]["fichier"] = str(cluster_path) if cluster_path else None
    return result


__all__ = [
    "PeriodCounts",
    "Indicators",
    "Targets",
    "compute",
    "combine",
    "compare",
    "evaluate_exports",
    "evaluate_usage",
    "load_targets",
    "read_export",
]
