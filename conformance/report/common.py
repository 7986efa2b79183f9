"""Helpers shared by the writers: scenarios grouped by feature, one-line finding descriptions."""

from __future__ import annotations

from ..model import Finding, ScenarioResult


def by_feature(scenarios: list[ScenarioResult]) -> list[tuple[str, str, list[ScenarioResult]]]:
    """Group by feature in the order the run met them (JUnit suites, Cucumber features, HTML)."""
    groups: dict[tuple[str, str], list[ScenarioResult]] = {}
    for scenario in scenarios:
        groups.setdefault((scenario.feature_file, scenario.feature), []).append(scenario)
    return [(feature, feature_file, items) for (feature_file, feature), items in groups.items()]


def describe_finding(finding: Finding) -> str:
    where = finding.location.describe()
    return f"[{finding.requirement}] {finding.outcome.label} : {finding.message}" + (f" ({where})" if where else "")
