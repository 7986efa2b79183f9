"""Which requirements the Gherkin plan verifies, read from the scenario tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .catalogue import ID_PATTERN, Catalogue

_TAG = re.compile(r"@(\S+)")
_SCENARIO = re.compile(r"^\s*(Scénario|Plan du scénario|Plan du Scénario|Scenario|Exemple)\s*:", re.IGNORECASE)
_FEATURE = re.compile(r"^\s*(Fonctionnalité|Feature)\s*:")


@dataclass
class Coverage:
    scenarios_by_requirement: dict[str, list[str]]
    unknown_tags: dict[str, list[str]]  # requirement-looking tags absent from the catalogue

    def uncovered(self, catalogue: Catalogue) -> list[str]:
        return [r.id for r in catalogue if not self.scenarios_by_requirement.get(r.id)]


def scan_features(features_dir: Path, catalogue: Catalogue) -> Coverage:
    """Map requirement ids to the scenarios tagged with them (feature tags apply to all)."""
    covered: dict[str, list[str]] = {}
    unknown: dict[str, list[str]] = {}
    for path in sorted(features_dir.rglob("*.feature")):
        feature_tags: list[str] = []
        pending: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith("#"):
                continue
            if stripped.startswith("@"):
                pending += _TAG.findall(stripped)
            elif _FEATURE.match(line):
                feature_tags, pending = pending, []
            elif _SCENARIO.match(line):
                name = f"{path.relative_to(features_dir)} : {stripped.split(':', 1)[1].strip()}"
                for tag in feature_tags + pending:
                    if ID_PATTERN.match(tag):
                        target = covered if tag in catalogue else unknown
                        target.setdefault(tag, []).append(name)
                pending = []
            elif stripped:
                pending = [] if not stripped.startswith("@") else pending
    return Coverage(covered, unknown)
