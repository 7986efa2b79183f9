"""``cucumber.json`` (classic Cucumber JSON) for cucumber-reporting and similar dashboards.

Scenarios carry their requirement ids as tags (``@INS-01``). A harness error that no
step reports becomes a failed ``after`` hook, so that dashboards count the scenario as failed.
"""

from __future__ import annotations

import io
import re
from typing import Any, TextIO

from ..model import Outcome, RunResult, ScenarioResult, StepResult
from ..results import FeatureGroup, group_by_feature
from .common import describe_finding
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


def _feature_head(group: FeatureGroup) -> dict[str, Any]:
    return {"uri": group.feature_file, "id": _slug(group.feature), "keyword": "Fonctionnalité", "name": group.feature,
            "description": "", "line": 1, "tags": [], "elements": []}


def build_cucumber(run: RunResult) -> list[dict[str, Any]]:
    """The whole document in memory (tests); :func:`write_cucumber` streams the same JSON."""
    return [{**_feature_head(g), "elements": [_element(_slug(g.feature), n, s) for n, s in enumerate(g.scenarios)]}
            for g in group_by_feature(run.scenarios)]


def write_cucumber(run: RunResult, out: TextIO) -> None:
    """Compact JSON (indenting would fall back to the pure-Python encoder), one element at a time."""
    out.write("[")
    for index, group in enumerate(group_by_feature(run.scenarios)):
        head = dumps_line(_feature_head(group))  # ends with '"elements": []}' and a newline
        out.write((", " if index else "") + head[:-4] + "[")
        feature_id = _slug(group.feature)
        for n, scenario in enumerate(group.scenarios):
            out.write((", " if n else "") + dumps_line(_element(feature_id, n, scenario))[:-1])
        out.write("]}")
    out.write("]\n")


def render_cucumber(run: RunResult) -> str:
    out = io.StringIO()
    write_cucumber(run, out)
    return out.getvalue()
