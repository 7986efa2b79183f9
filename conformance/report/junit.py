"""``junit.xml`` for CI (Jenkins, GitLab): one testsuite per feature, one testcase per scenario.

The shape follows the common JUnit schema (Jenkins xunit ``junit-10.xsd``), which allows
properties on testsuites only: requirement ids go there, and into each testcase's
``system-out``. Text comes from hostile documents, so characters XML 1.0 forbids are replaced.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import IO

from lxml import etree

from ..model import Finding, Outcome, RunResult, ScenarioResult
from ..results import FeatureGroup, group_by_feature
from .common import describe_finding

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MESSAGE_MAX = 1000
_SKIP_MESSAGES = {
    Outcome.SKIP: Outcome.SKIP.label,
    Outcome.OMIT: Outcome.OMIT.label,
    Outcome.NOT_RUN: Outcome.NOT_RUN.label,
}


def xml_text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _describe(finding: Finding) -> str:
    text = describe_finding(finding)
    return text + f"\n    {finding.evidence}" if finding.evidence else text


def _summary(findings: Iterable[Finding], fallback: str) -> str:
    message = " ; ".join(f"[{f.requirement}] {f.message}" for f in findings) or fallback
    return message if len(message) <= _MESSAGE_MAX else message[: _MESSAGE_MAX - 1] + "…"


def _testcase(scenario: ScenarioResult) -> etree._Element:
    case = etree.Element("testcase")
    case.set("classname", xml_text(scenario.feature))
    case.set("name", xml_text(f"{scenario.name} — {scenario.subject}"))
    case.set("time", _seconds(scenario.duration))
    outcome = scenario.outcome
    if outcome is Outcome.FAIL:
        bad = [f for f in scenario.findings if f.outcome is Outcome.FAIL]
        node = etree.SubElement(case, "failure", type="non-conformite")
        node.set("message", xml_text(_summary(bad, Outcome.FAIL.label)))
        node.text = xml_text("\n".join(_describe(f) for f in bad))
    elif outcome is Outcome.ERROR:
        bad = [f for f in scenario.findings if f.outcome is Outcome.ERROR]
        node = etree.SubElement(case, "error", type="erreur-harnais")
        node.set("message", xml_text(scenario.error or _summary(bad, Outcome.ERROR.label)))
        node.text = xml_text("\n".join(filter(None, [scenario.error, *(_describe(f) for f in bad)])))
    elif outcome in _SKIP_MESSAGES:
        etree.SubElement(case, "skipped", message=_SKIP_MESSAGES[outcome])
    out = [f"Exigences : {', '.join(scenario.requirements) or 'aucune'}", f"Sujet : {scenario.subject}"]
    out += [f"{s.keyword} {s.text} → {s.outcome.label}" for s in scenario.steps]
    etree.SubElement(case, "system-out").text = xml_text("\n".join(out))
    return case


def render_junit(run: RunResult) -> bytes:
    out = io.BytesIO()
    write_junit(run, out)
    return out.getvalue()


def write_junit(run: RunResult, out: IO[bytes]) -> None:
    """Streamed (``lxml.etree.xmlfile``): one testcase in memory at a time; the counts of each suite and
    of the whole file come from the feature groups (:func:`~dui_conformance.results.group_by_feature`)."""
    groups = group_by_feature(run.scenarios)
    counts = [_counts(group) for group in groups]
    totals = {key: str(sum(c[key] for c in counts)) for key in ("tests", "failures", "errors")}
    totals["time"] = _seconds(sum(group.time for group in groups))
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("testsuites", {"name": "dui-conformance", **totals}):
            for index, (group, count) in enumerate(zip(groups, counts)):
                attributes = {"name": xml_text(group.feature), "id": str(index), **{k: str(v) for k, v in count.items()},
                              "time": _seconds(group.time), "timestamp": xml_text(run.started),
                              "file": xml_text(group.feature_file)}
                xf.write("\n  ")
                with xf.element("testsuite", attributes):
                    properties = etree.Element("properties")
                    for name, value in (("profil", run.profile), ("environnement", run.environment), ("mode", run.mode)):
                        etree.SubElement(properties, "property", name=name, value=xml_text(value))
                    for req in group.requirements:
                        etree.SubElement(properties, "property", name="exigence", value=xml_text(req))
                    xf.write("\n    ")
                    xf.write(properties)
                    for scenario in group.scenarios:
                        xf.write("\n    ")
                        xf.write(_testcase(scenario))
                    xf.write("\n  ")
            xf.write("\n")
    out.write(b"\n")


def _counts(group: FeatureGroup) -> dict[str, int]:
    outcomes = group.outcomes
    return {
        "tests": sum(outcomes.values()),
        "failures": outcomes[Outcome.FAIL],
        "errors": outcomes[Outcome.ERROR],
        "skipped": sum(n for o, n in outcomes.items() if o in _SKIP_MESSAGES),
    }
