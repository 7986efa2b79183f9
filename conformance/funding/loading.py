"""The inputs of ``financement``: the cluster file, and optionally a readiness report and a usage evaluation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model import Outcome
from .eligibility import MET, NOT_EVALUATED, UNMET, Condition
from .files import InputError, load, schema_errors
from .french import SERVICES

SCHEMAS = Path(__file__).parent / "schemas"
CLUSTER_SCHEMA = json.loads((SCHEMAS / "grappe.schema.json").read_text(encoding="utf-8"))

# Only what the funding conditions read from report.json (RunResult.to_dict) and from ``usage --format json``.
REPORT_SCHEMA = {
    "type": "object",
    "required": ["requirements"],
    "properties": {
        "verdict": {"type": "string"},
        "requirements": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "service", "blocking", "outcome"],
                "properties": {
                    "id": {"type": "string"},
                    "service": {"type": "string"},
                    "blocking": {"type": "boolean"},
                    "outcome": {"enum": [o.value for o in Outcome]},
                },
            },
        },
    },
}
USAGE_SCHEMA = {
    "type": "object",
    "required": ["cibles", "esms"],
    "properties": {
        "cibles": {
            "type": "object",
            "required": ["exemple"],
            "properties": {"exemple": {"type": "boolean"}, "prorata": {"type": "boolean"}},
        },
        "esms": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["finess", "tranche_finale_liberable", "motif"],
                "properties": {
                    "finess": {"type": "string"},
                    "tranche_finale_liberable": {"type": "boolean"},
                    "motif": {"type": "string"},
                    "comparaison": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["indicateur", "atteinte"],
                            "properties": {"indicateur": {"type": "string"}, "atteinte": {"type": "boolean"}},
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class UsageEvaluation:
    """``usage --format json``, as the last tranche reads it.

    ``example``: the targets are an example, so nothing can be decided from them. ``prorata``: the
    targets file allows releasing the last tranche in proportion to the ESMS that meet their
    targets; without it, one ESMS short of its targets holds the whole tranche back.
    """

    label: str
    example: bool
    prorata: bool
    esms: dict[str, dict[str, Any]]  # FINESS -> its row (tranche_finale_liberable, motif, comparaison)

    def condition(self, finess: str, exempt: list[str] | None = None) -> Condition:
        """One ESMS's usage condition; ``exempt`` lists indicators its campaign waives for it (others still count)."""
        row = self.esms.get(finess)
        if row is None:
            return Condition("usage", NOT_EVALUATED, "ESMS absent de l'évaluation d'usage")
        lines = row.get("comparaison") or []
        if exempt and lines:
            kept = [line for line in lines if line["indicateur"].split(":")[0] not in exempt]
            waived = len(lines) - len(kept)
            if waived and kept and all(line["atteinte"] for line in kept):
                return Condition(
                    "usage", MET, f"cibles atteintes, hors {waived} cible(s) dont la structure est exemptée"
                )
        return Condition("usage", MET if row["tranche_finale_liberable"] else UNMET, row["motif"])


def _validated(path: Path, schema: dict[str, Any], what: str) -> Any:
    loaded = load(path)
    errors = schema_errors(loaded, schema)
    if errors:
        raise InputError(f"{path} ({what})", errors)
    return loaded.data


def load_cluster(path: Path) -> dict[str, Any]:
    """A schema-valid cluster file (YAML or JSON), or :class:`InputError` listing every error with its path and line."""
    return _validated(path, CLUSTER_SCHEMA, "fichier de grappe")


def conformity_from_report(path: Path, services: list[str]) -> Condition:
    """The conformity condition from a readiness report file (``report.json``, schema-validated)."""
    return conformity_from_run(_validated(path, REPORT_SCHEMA, "rapport de préparation"), path.name, services)


def conformity_from_run(report: dict[str, Any], label: str, services: list[str]) -> Condition:
    """The conformity condition from a report's data: a blocking failure on one of ``services`` leaves it unmet.

    A service with no evaluated requirement is *non couvert*: the condition is then not evaluated,
    never met.
    """
    requirements = report["requirements"]
    failing = {
        s: [r["id"] for r in requirements if r["service"] == s and r["blocking"] and r["outcome"] == "fail"]
        for s in services
    }
    # evaluated = decided or undecided on this run's inputs; "non applicable" and "non évaluée" cover nothing
    covered = {
        s for s in services if any(r["service"] == s and r["outcome"] not in ("not_run", "omit") for r in requirements)
    }
    names = ", ".join(SERVICES.get(s, s) for s in services)
    if any(failing.values()):
        detail = " ; ".join(f"{SERVICES.get(s, s)} : {', '.join(ids)}" for s, ids in failing.items() if ids)
        return Condition("conformite", UNMET, f"exigences bloquantes en échec dans {label} ({detail})")
    if report.get("verdict") == "erreur":
        return Condition("conformite", NOT_EVALUATED, f"{label} : le rapport signale une erreur du harnais, à relancer")
    missing = [SERVICES.get(s, s) for s in services if s not in covered]
    if missing:
        return Condition("conformite", NOT_EVALUATED, f"{label} : {', '.join(missing)} non couvert(s) par le rapport")
    return Condition("conformite", MET, f"aucune exigence bloquante en échec sur {names} ({label})")


def usage_from_file(path: Path) -> UsageEvaluation:
    """The usage evaluation written by ``usage --format json`` (schema-validated)."""
    data = _validated(path, USAGE_SCHEMA, "évaluation d'usage")
    return UsageEvaluation(
        path.name,
        data["cibles"]["exemple"],
        data["cibles"].get("prorata", False),
        {row["finess"]: row for row in data["esms"]},
    )
