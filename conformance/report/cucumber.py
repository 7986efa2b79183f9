"""``cucumber.json`` (classic Cucumber JSON) for cucumber-reporting and similar dashboards.

Scenarios carry their requirement ids as tags (``@INS-01``). A harness error that no
step reports becomes a failed ``after`` hook, so that dashboards count the scenario as failed.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TextIO

from ..model import Outcome, RunResult
from ..results import FeatureGroup
from ..results.spool import json_value
from .by_feature import Sink, feed
from .common import describe_finding
from .json_report import dumps_line

_STATUS = {  # by outcome value, as JSON
    "pass": '"passed"',
    "advisory": '"passed"',  # a PEUT found broken: never a failure; its findings are the step's "output"
    "fail": '"failed"',
    "error": '"failed"',
    "skip": '"skipped"',
    "omit": '"skipped"',
    "not_run": '"skipped"',  # a step after a failed one
}
_MATCH = '{"location": "dui-conformance"}'
_REPORTED = {"fail", "error", "skip"}  # outcomes whose findings a step's error message lists
_ADVISORY = Outcome.ADVISORY.value


@lru_cache(maxsize=4096)  # the same scenario names and tags recur in every document
def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "sans-nom"


def _nanoseconds(seconds: float) -> int:
    return max(0, round(seconds * 1_000_000_000))


@lru_cache(maxsize=4096)
def _tags(tags: tuple[str, ...]) -> str:
    names = ["@" + tag.lstrip("@") for tag in tags]
    return json_value([{"name": name, "line": 1} for name in dict.fromkeys(names)])


def _error_message(step: dict[str, Any]) -> str | None:
    lines = [step["error"]] if step["error"] else []
    lines += [describe_finding(f) for f in step["findings"] if f["outcome"] in _REPORTED]
    return "\n".join(lines) or None


@lru_cache(maxsize=4096)  # the same steps recur in every document
def _step_head(keyword: str, text: str, line: int) -> str:
    keyword = keyword if keyword.endswith(" ") else keyword + " "
    return (
        f'{{"keyword": {json_value(keyword)}, "name": {json_value(text)}, "line": {line}, '
        f'"match": {_MATCH}, "result": {{"status": '
    )


def _step(step: dict[str, Any], line: int) -> str:
    message = _error_message(step)
    tail = f', "error_message": {json_value(message)}' if message else ""
    advice = [describe_finding(f) for f in step["findings"] if f["outcome"] == _ADVISORY]
    # Avertissements: the step's "output", which dashboards show beside the step, apart from its failures.
    output = f', "output": {json_value(advice)}' if advice else ""
    return (
        f"{_step_head(step['keyword'], step['text'], line)}{_STATUS[step['outcome']]}, "
        f'"duration": {_nanoseconds(step["duration"])}{tail}}}{output}}}'
    )


def _element(feature_id: str, index: int, scenario: dict[str, Any]) -> str:
    """From the scenario's JSON data (see :mod:`.by_feature`), as JSON text: the pieces that recur from one
    document to the next are encoded once (steps, tags). As ``dumps_line`` writes it, with its ASCII fallback
    for a lone surrogate (``tests/conformance/test_report.py`` pins the bytes)."""
    steps = ", ".join(_step(step, n + 1) for n, step in enumerate(scenario["steps"]))
    after = ""
    if scenario["error"] and not any(step["outcome"] == Outcome.ERROR for step in scenario["steps"]):
        after = (
            f', "after": [{{"match": {_MATCH}, "result": {{"status": "failed", "duration": 0, '
            f'"error_message": {json_value(scenario["error"])}}}}}]'
        )
    element_id = f"{feature_id};{_slug(scenario['name'])};{index}"
    text = (
        f'{{"id": {json_value(element_id)}, "keyword": "Scénario", '
        f'"type": "scenario", "name": {json_value(scenario["name"] + " — " + scenario["subject"])}, '
        f'"description": {json_value(scenario["nodeid"])}, "line": {index + 1}, '
        f'"tags": {_tags(tuple(scenario["tags"] + scenario["requirements"]))}, "steps": [{steps}]{after}}}'
    )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(json.loads(text), ensure_ascii=True)
    return text


def _feature_head(group: FeatureGroup) -> dict[str, Any]:
    return {
        "uri": group.feature_file,
        "id": _slug(group.feature),
        "keyword": "Fonctionnalité",
        "name": group.feature,
        "description": "",
        "line": 1,
        "tags": [],
        "elements": [],
    }


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
                out.write((", " if n else "") + _element(feature_id, n, scenario))
            out.write("]}")
        out.write("]\n")

    return write


def render_cucumber(run: RunResult) -> str:
    out = io.StringIO()
    write_cucumber(run, out)
    return out.getvalue()
