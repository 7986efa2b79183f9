"""``junit.xml`` for CI (Jenkins, GitLab): one testsuite per feature, one testcase per scenario.

The shape follows the common JUnit schema (Jenkins xunit ``junit-10.xsd``), which allows
properties on testsuites only: requirement ids go there, and into each testcase's
``system-out``. Text comes from hostile documents, so characters XML 1.0 forbids are replaced.

The XML is written as text, one testcase at a time, with the escaping and layout lxml's serialiser
gave (``test_report_bytes`` pins them): building an element tree per testcase cost more than the rest
of the file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import IO, Any
from xml.sax.saxutils import escape

from ..model import Outcome, RunResult
from ..requirements.waves import wave_referential
from ..results import FeatureGroup
from .by_feature import Sink, feed
from .common import LABELS, describe_finding

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What lxml escapes beyond & < > (which ``saxutils.escape`` always does first): in text, in an attribute value.
_TEXT = {"\r": "&#13;"}
_ATTRIBUTE = {**_TEXT, '"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
_MESSAGE_MAX = 1000
_SKIP_MESSAGES = {o.value: o.label for o in (Outcome.SKIP, Outcome.OMIT, Outcome.NOT_RUN)}
_BAD = (Outcome.FAIL.value, Outcome.ERROR.value)
_ADVISORY = Outcome.ADVISORY.value


def _escaped(value: object, entities: dict[str, str]) -> str:
    """XML 1.0 characters only, escaped."""
    return escape(_NOT_XML.sub("\ufffd", str(value)), entities)


def _text(value: object) -> str:
    return _escaped(value, _TEXT)


def _attributes(pairs: Iterable[tuple[str, object]]) -> str:
    return "".join(f' {name}="{_escaped(value, _ATTRIBUTE)}"' for name, value in pairs)


def _element(name: str, attributes: Iterable[tuple[str, object]], text: str | None = None) -> str:
    opened = f"<{name}{_attributes(attributes)}"
    return opened + "/>" if text is None else f"{opened}>{_text(text)}</{name}>"


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _describe(finding: dict[str, Any]) -> str:
    text = describe_finding(finding)
    return text + f"\n    {finding['evidence']}" if finding["evidence"] else text


def _summary(findings: list[dict[str, Any]], fallback: str) -> str:
    message = " ; ".join(f"[{f['requirement']}] {f['message']}" for f in findings) or fallback
    return message if len(message) <= _MESSAGE_MAX else message[: _MESSAGE_MAX - 1] + "…"


def _testcase(scenario: dict[str, Any]) -> str:
    """From the scenario's JSON data (see :mod:`.by_feature`). Escaping is character by character, so the
    lines that recur from one document to the next (steps, requirements, subject) are escaped once each."""
    case = (
        f' classname="{_cached_attribute(scenario["feature"])}"'
        f' name="{_escaped(scenario["name"] + " — " + scenario["subject"], _ATTRIBUTE)}"'
        f' time="{_escaped(_seconds(scenario["duration"]), _ATTRIBUTE)}"'
    )
    outcome, error = scenario["outcome"], scenario["error"]
    verdict = ""
    if outcome in _BAD:
        bad = [f for step in scenario["steps"] for f in step["findings"] if f["outcome"] == outcome]
        if outcome == Outcome.FAIL:
            verdict = _element(
                "failure",
                (("type", "non-conformite"), ("message", _summary(bad, Outcome.FAIL.label))),
                "\n".join(_describe(f) for f in bad),
            )
        else:
            verdict = _element(
                "error",
                (("type", "erreur-harnais"), ("message", error or _summary(bad, Outcome.ERROR.label))),
                "\n".join(filter(None, [error, *(_describe(f) for f in bad)])),
            )
    elif outcome in _SKIP_MESSAGES:
        verdict = _element("skipped", (("message", _SKIP_MESSAGES[outcome]),))
    out = [_requirements_line(tuple(scenario["requirements"])), _cached_text(f"Sujet : {scenario['subject']}")]
    out += [_step_line(s["keyword"], s["text"], s["outcome"]) for s in scenario["steps"]]
    # Avertissements (a PEUT found broken): listed in system-out, never a failure of the testcase.
    out += [_text(_describe(f)) for step in scenario["steps"] for f in step["findings"] if f["outcome"] == _ADVISORY]
    return f"<testcase{case}>{verdict}<system-out>{chr(10).join(out)}</system-out></testcase>"


@lru_cache(maxsize=4096)
def _cached_text(value: str) -> str:
    return _text(value)


@lru_cache(maxsize=4096)
def _cached_attribute(value: str) -> str:
    return _escaped(value, _ATTRIBUTE)


@lru_cache(maxsize=4096)
def _requirements_line(requirements: tuple[str, ...]) -> str:
    return _text(f"Exigences : {', '.join(requirements) or 'aucune'}")


@lru_cache(maxsize=4096)
def _step_line(keyword: str, text: str, outcome: str) -> str:
    return _text(f"{keyword} {text} → {LABELS[outcome]}")


def render_junit(run: RunResult) -> bytes:
    out = io.BytesIO()
    write_junit(run, out)
    return out.getvalue()


def write_junit(run: RunResult, out: IO[bytes]) -> None:
    feed(run, [junit_writer(run, out)])


def junit_writer(run: RunResult, out: IO[bytes]) -> Callable[[list[FeatureGroup]], Sink]:
    """Streamed: one testcase in memory at a time; the counts of each suite and
    of the whole file come from the feature groups (:func:`~dui_conformance.results.group_by_feature`)."""

    def write(groups: list[FeatureGroup]) -> Sink:
        counts = [_counts(group) for group in groups]
        totals = {key: str(sum(c[key] for c in counts)) for key in ("tests", "failures", "errors")}
        totals["time"] = _seconds(sum(group.time for group in groups))
        out.write(b"<?xml version='1.0' encoding='UTF-8'?>\n")
        out.write(f"<testsuites{_attributes({'name': 'dui-conformance', **totals}.items())}>".encode())
        for index, (group, count) in enumerate(zip(groups, counts, strict=False)):
            attributes = {
                "name": group.feature,
                "id": index,
                **count,
                "time": _seconds(group.time),
                "timestamp": run.started,
                "file": group.feature_file,
            }
            properties = [("profil", run.profile), ("environnement", run.environment), ("mode", run.mode)]
            properties.append(("referentiel", wave_referential(run.wave).describe()))
            properties += [("exigence", req) for req in group.requirements]
            out.write(f"\n  <testsuite{_attributes(attributes.items())}>\n    <properties>".encode())
            out.write(
                "".join(_element("property", (("name", name), ("value", value))) for name, value in properties).encode()
            )
            out.write(b"</properties>")
            for _ in range(len(group.scenarios)):
                scenario = yield
                out.write(("\n    " + _testcase(scenario)).encode())
            out.write(b"\n  </testsuite>")
        out.write(b"\n</testsuites>\n")

    return write


def _counts(group: FeatureGroup) -> dict[str, int]:
    outcomes = group.outcomes
    return {
        "tests": sum(outcomes.values()),
        "failures": outcomes[Outcome.FAIL],
        "errors": outcomes[Outcome.ERROR],
        "skipped": sum(n for o, n in outcomes.items() if o in _SKIP_MESSAGES),
    }
