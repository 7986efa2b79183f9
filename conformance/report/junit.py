"""``junit.xml`` for CI (Jenkins, GitLab): one testsuite per feature, one testcase per scenario.

The shape follows the common JUnit schema (Jenkins xunit ``junit-10.xsd``), which allows
properties on testsuites only: requirement ids go there, and into each testcase's
``system-out``. Text comes from hostile documents, so characters XML 1.0 forbids are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from ..model import Finding, Outcome, RunResult, ScenarioResult
from .common import by_feature, describe_finding

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
    root = etree.Element("testsuites", name="dui-conformance")
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    for index, (feature, feature_file, scenarios) in enumerate(by_feature(run.scenarios)):
        outcomes = [s.outcome for s in scenarios]
        counts = {
            "tests": len(scenarios),
            "failures": outcomes.count(Outcome.FAIL),
            "errors": outcomes.count(Outcome.ERROR),
            "skipped": sum(o in _SKIP_MESSAGES for o in outcomes),
        }
        time = sum(s.duration for s in scenarios)
        suite = etree.SubElement(root, "testsuite", name=xml_text(feature), id=str(index))
        for key, value in counts.items():
            suite.set(key, str(value))
        suite.set("time", _seconds(time))
        suite.set("timestamp", xml_text(run.started))
        suite.set("file", xml_text(feature_file))
        properties = etree.SubElement(suite, "properties")
        for name, value in (("profil", run.profile), ("environnement", run.environment), ("mode", run.mode)):
            etree.SubElement(properties, "property", name=name, value=xml_text(value))
        for req in dict.fromkeys(r for s in scenarios for r in s.requirements):
            etree.SubElement(properties, "property", name="exigence", value=xml_text(req))
        suite.extend(_testcase(s) for s in scenarios)
        for key in ("tests", "failures", "errors"):
            totals[key] += counts[key]
        totals["time"] += time
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    root.set("time", _seconds(totals["time"]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
