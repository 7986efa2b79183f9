"""``junit.xml`` for CI (Jenkins, GitLab): one testsuite per feature, one testcase per scenario.

The shape follows the common JUnit schema (Jenkins xunit ``junit-10.xsd``), which allows
properties on testsuites only: requirement ids go there, and into each testcase's
``system-out``. Text comes from hostile documents, so characters XML 1.0 forbids are replaced.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import IO, Any

from lxml import etree

from ..model import Outcome, RunResult
from ..results import FeatureGroup
from .by_feature import Sink, feed
from .common import LABELS, describe_finding

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MESSAGE_MAX = 1000
_SKIP_MESSAGES = {o.value: o.label for o in (Outcome.SKIP, Outcome.OMIT, Outcome.NOT_RUN)}
_BAD = (Outcome.FAIL.value, Outcome.ERROR.value)


def xml_text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _describe(finding: dict[str, Any]) -> str:
    text = describe_finding(finding)
    return text + f"\n    {finding['evidence']}" if finding["evidence"] else text


def _summary(findings: list[dict[str, Any]], fallback: str) -> str:
    message = " ; ".join(f"[{f['requirement']}] {f['message']}" for f in findings) or fallback
    return message if len(message) <= _MESSAGE_MAX else message[: _MESSAGE_MAX - 1] + "…"


def _testcase(scenario: dict[str, Any]) -> etree._Element:
    """From the scenario's JSON data (see :mod:`.by_feature`)."""
    case = etree.Element("testcase")
    case.set("classname", xml_text(scenario["feature"]))
    case.set("name", xml_text(f"{scenario['name']} — {scenario['subject']}"))
    case.set("time", _seconds(scenario["duration"]))
    outcome, error = scenario["outcome"], scenario["error"]
    if outcome in _BAD:
        bad = [f for step in scenario["steps"] for f in step["findings"] if f["outcome"] == outcome]
        if outcome == Outcome.FAIL:
            node = etree.SubElement(case, "failure", type="non-conformite")
            node.set("message", xml_text(_summary(bad, Outcome.FAIL.label)))
            node.text = xml_text("\n".join(_describe(f) for f in bad))
        else:
            node = etree.SubElement(case, "error", type="erreur-harnais")
            node.set("message", xml_text(error or _summary(bad, Outcome.ERROR.label)))
            node.text = xml_text("\n".join(filter(None, [error, *(_describe(f) for f in bad)])))
    elif outcome in _SKIP_MESSAGES:
        etree.SubElement(case, "skipped", message=_SKIP_MESSAGES[outcome])
    out = [f"Exigences : {', '.join(scenario['requirements']) or 'aucune'}", f"Sujet : {scenario['subject']}"]
    out += [f"{s['keyword']} {s['text']} → {LABELS[s['outcome']]}" for s in scenario["steps"]]
    etree.SubElement(case, "system-out").text = xml_text("\n".join(out))
    return case


def render_junit(run: RunResult) -> bytes:
    out = io.BytesIO()
    write_junit(run, out)
    return out.getvalue()


def write_junit(run: RunResult, out: IO[bytes]) -> None:
    feed(run, [junit_writer(run, out)])


def junit_writer(run: RunResult, out: IO[bytes]) -> Callable[[list[FeatureGroup]], Sink]:
    """Streamed (``lxml.etree.xmlfile``): one testcase in memory at a time; the counts of each suite and
    of the whole file come from the feature groups (:func:`~dui_conformance.results.group_by_feature`)."""

    def write(groups: list[FeatureGroup]) -> Sink:
        counts = [_counts(group) for group in groups]
        totals = {key: str(sum(c[key] for c in counts)) for key in ("tests", "failures", "errors")}
        totals["time"] = _seconds(sum(group.time for group in groups))
        with etree.xmlfile(out, encoding="UTF-8") as xf:
            xf.write_declaration()
            with xf.element("testsuites", {"name": "dui-conformance", **totals}):
                for index, (group, count) in enumerate(zip(groups, counts)):
                    attributes = {"name": xml_text(group.feature), "id": str(index),
                                  **{k: str(v) for k, v in count.items()}, "time": _seconds(group.time),
                                  "timestamp": xml_text(run.started), "file": xml_text(group.feature_file)}
                    xf.write("\n  ")
                    with xf.element("testsuite", attributes):
                        properties = etree.Element("properties")
                        for name, value in (("profil", run.profile), ("environnement", run.environment),
                                            ("mode", run.mode)):
                            etree.SubElement(properties, "property", name=name, value=xml_text(value))
                        for req in group.requirements:
                            etree.SubElement(properties, "property", name="exigence", value=xml_text(req))
                        xf.write("\n    ")
                        xf.write(properties)
                        for _ in range(len(group.scenarios)):
                            scenario = yield
                            xf.write("\n    ")
                            xf.write(_testcase(scenario))
                        xf.write("\n  ")
                xf.write("\n")
        out.write(b"\n")

    return write


def _counts(group: FeatureGroup) -> dict[str, int]:
    outcomes = group.outcomes
    return {
        "tests": sum(outcomes.values()),
        "failures": outcomes[Outcome.FAIL],
        "errors": outcomes[Outcome.ERROR],
        "skipped": sum(n for o, n in outcomes.items() if o in _SKIP_MESSAGES),
    }
