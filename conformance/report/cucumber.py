"""``cucumber.json`` (classic Cucumber JSON) for cucumber-reporting and similar dashboards.

Scenarios carry their requirement ids as tags (``@INS-01``). A harness error that no
step reports becomes a failed ``after`` hook, so that dashboards count the scenario as failed.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from collections.abc import Callable
from typing import Any, TextIO

from ..model import Outcome, RunResult
from ..results import FeatureGroup
from .by_feature import Sink, feed
from .common import describe_finding
from .json_report import dumps_line

_STATUS = {  # by outcome value
    "pass": "passed",
    "fail": "failed",
    "error": "failed",
    "skip": "skipped",
    "omit": "skipped",
    "not_run": "skipped",  # a step after a failed one
}
_REPORTED = {"fail", "error", "skip"}  # outcomes whose findings a step's error message lists


@lru_cache(maxsize=4096)  # the same scenario names and tags recur in every document
def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "sans-nom"


def _nanoseconds(seconds: float) -> int:
    return max(0, round(seconds * 1_000_000_000))


def _tags(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    return _tag_list(tuple(scenario["tags"] + scenario["requirements"]))


@lru_cache(maxsize=4096)
def _tag_list(tags: tuple[str, ...]) -> list[dict[str, Any]]:  # only ever serialised, never changed
    names = ["@" + tag.lstrip("@") for tag in tags]
    return [{"name": name, "line": 1} for name in dict.fromkeys(names)]


def _error_message(step: dict[str, Any]) -> str | None:
    lines = [step["error"]] if step["error"] else []
    lines += [describe_finding(f) for f in step["findings"] if f["outcome"] in _REPORTED]
    return "\n".join(lines) or None


def _step(step: dict[str, Any], line: int) -> dict[str, Any]:
    result: dict[str, Any] = {"status": _STATUS[step["outcome"]], "duration": _nanoseconds(step["duration"])}
    message = _error_message(step)
    if message:
        result["error_message"] = message
    keyword = step["keyword"] if step["keyword"].endswith(" ") else step["keyword"] + " "
    return {"keyword": keyword, "name": step["text"], "line": line, "match": {"location": "dui-conformance"},
            "result": result}


def _element(feature_id: str, index: int, scenario: dict[str, Any]) -> dict[str, Any]:
    """From the scenario's JSON data (see :mod:`.by_feature`)."""
    element: dict[str, Any] = {
        "id": f"{feature_id};{_slug(scenario['name'])};{index}",
        "keyword": "Scénario",
        "type": "scenario",
        "name": f"{scenario['name']} — {scenario['subject']}",
        "description": scenario["nodeid"],
        "line": index + 1,
        "tags": _tags(scenario),
        "steps": [_step(step, n + 1) for n, step in enumerate(scenario["steps"])],
    }
    if scenario["error"] and not any(step["outcome"] == Outcome.ERROR for step in scenario["steps"]):
        element["after"] = [
            {
                "match": {"location": "dui-conformance"},
                "result": {"status": "failed", "duration": 0, "error_message": scenario["error"]},
            }
        ]
    return element


def _feature_head(group: FeatureGroup) -> dict[str, Any]:
    return {"uri": group.feature_file, "id": _slug(group.feature), "keyword": "Fonctionnalité", "name": group.feature,
            "description": "", "line": 1, "tags": [], "elements": []}


def write_cucumber(run: RunResult, out: TextIO) -> None:
    feed(run, [cucumber_writer(out)])


def cucumber_writer(out: TextIO) -> Callable[[list[FeatureGroup]], Sink]:
    """Compact JSON (indenting would fall back to the pure-Python encoder), one element at a time."""

    def write(groups: list[FeatureGroup]) -> Sink:
        out.write("[")
        for index, group in enumerate(groups):
            head = dumps_line(_feature_head(group))  # ends with '"elements": []}' and a newline
            out.write((", " if index else "") + head[:-4] + "[")
            feature_id = _slug(group.feature)
            for n in range(len(group.scenarios)):
                scenario = yield
                out.write((", " if n else "") + dumps_line(_element(feature_id, n, scenario))[:-1])
            out.write("]}")
        out.write("]\n")

    return write


def render_cucumber(run: RunResult) -> str:
    out = io.StringIO()
    write_cucumber(run, out)
    return out.getvalue()
