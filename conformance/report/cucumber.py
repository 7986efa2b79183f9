"""``cucumber.json`` (classic Cucumber JSON) for cucumber-reporting and similar dashboards.

Scenarios carry their requirement ids as tags (``@INS-01``). A harness error that no
step reports becomes a failed ``after`` hook, so that dashboards count the scenario as failed.
"""

from __future__ import annotations

import re
from typing import Any

from ..model import Outcome, RunResult, ScenarioResult, StepResult
from .common import by_feature, describe_finding
from .json_report import dumps_line

_STATUS = {
    Outcome.PASS: "passed",
    Outcome.FAIL: "failed",
    Outcome.ERROR: "failed",
    Outcome.SKIP: "skipped",
    Outcome.OMIT: "skipped",
    Outcome.NOT_RUN: "skipped",  # a step after a failed one
}


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "sans-nom"


def _nanoseconds(seconds: float) -> int:
    return max(0, round(seconds * 1_000_000_000))


def _tags(scenario: ScenarioResult) -> list[dict[str, Any]]:
    names = ["@" + tag.lstrip("@") for tag in scenario.tags + scenario.requirements]
    return [{"name": name, "line": 1} for name in dict.fromkeys(names)]


def _error_message(step: StepResult) -> str | None:
    lines = [step.error] if step.error else []
    lines += [describe_finding(f) for f in step.findings if f.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.SKIP)]
    return "\n".join(lines) or None


def _step(step: StepResult, line: int) -> dict[str, Any]:
    result: dict[str, Any] = {"status": _STATUS[step.outcome], "duration": _nanoseconds(step.duration)}
    message = _error_message(step)
    if message:
        result["error_message"] = message
    keyword = step.keyword if step.keyword.endswith(" ") else step.keyword + " "
    return {"keyword": keyword, "name": step.text, "line": line, "match": {"location": "dui-conformance"}, "result": result}


def _element(feature_id: str, index: int, scenario: ScenarioResult) -> dict[str, Any]:
    element: dict[str, Any] = {
        "id": f"{feature_id};{_slug(scenario.name)};{index}",
        "keyword": "Scénario",
        "type": "scenario",
        "name": f"{scenario.name} — {scenario.subject}",
        "description": scenario.nodeid,
        "line": index + 1,
        "tags": _tags(scenario),
        "steps": [_step(step, n + 1) for n, step in enumerate(scenario.steps)],
    }
    if scenario.error and not any(step.outcome is Outcome.ERROR for step in scenario.steps):
        element["after"] = [
            {
                "match": {"location": "dui-conformance"},
                "result": {"status": "failed", "duration": 0, "error_message": scenario.error},
            }
        ]
    return element


def build_cucumber(run: RunResult) -> list[dict[str, Any]]:
    features = []
    for feature, feature_file, scenarios in by_feature(run.scenarios):
        feature_id = _slug(feature)
        features.append(
            {
                "uri": feature_file,
                "id": feature_id,
                "keyword": "Fonctionnalité",
                "name": feature,
                "description": "",
                "line": 1,
                "tags": [],
                "elements": [_element(feature_id, n, s) for n, s in enumerate(scenarios)],
            }
        )
    return features


def render_cucumber(run: RunResult) -> str:
    """Compact JSON: indenting would fall back to the pure-Python encoder, the slowest writer of a large run."""
    return dumps_line(build_cucumber(run))
