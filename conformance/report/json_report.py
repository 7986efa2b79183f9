"""``report.json``: the canonical, versioned form of a run, and its inverse.

:func:`write_json` streams the same JSON as :func:`render_json` item by item, so that a
10 000-document report is never one string in memory: one requirement or scenario a line
(the C encoder; ``indent`` would fall back to the pure-Python one, the slowest part of a large
report). A spooled run (:mod:`dui_conformance.results`) already holds each scenario and finding
as that JSON line: they are copied, not decoded and encoded again. Large runs also get
``findings.jsonl`` (one finding a line) for tools that read findings without loading the whole
report. :func:`load_run` reads a report back into memory (``compare`` and tests, small reports).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from ..model import SCHEMA_VERSION, Replayable, RequirementResult, RunResult, ScenarioResult
from ..requirements.waves import wave_referential
from ..results import ScenarioLog, Spool, is_fallback, json_line, subjects

LARGE_RUN = 1000  # documents from which findings.jsonl is written beside report.json
_STREAMED = ("requirements", "scenarios")


class ReportVersionError(ValueError):
    pass


def dumps(data: object) -> str:
    """JSON text that always encodes to UTF-8 (lone surrogates from hostile input fall back to escapes)."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True, indent=2)
    return text + "\n"


def render_json(run: RunResult) -> str:
    return dumps(_named(run.to_dict(), run))


def _named(data: dict, run: RunResult) -> dict:
    """The run's data with its ``referentiel`` whole: the wave's name, version, status and source (schema 1.2)."""
    data["referentiel"] = wave_referential(run.wave).to_dict()  # in the place to_dict gives the wave
    return data


def write_json(run: RunResult, out: TextIO, sections: Iterable[tuple[str, Callable[[TextIO], None]]] = ()) -> None:
    """Write the data of :func:`render_json`, one requirement or scenario at a time, each on its line;
    ``sections``: more top-level keys, each streamed by its writer (the ``official`` view)."""
    head = _named(dataclasses.replace(run, requirements=[], scenarios=[]).to_dict(), run)
    head.update(verdict=run.verdict, counts=run.counts())
    text = dumps(head)
    for key, items in zip(
        _STREAMED, (_requirement_lines(run.requirements), _scenario_lines(run.scenarios)), strict=False
    ):
        before, marker, text = text.partition(f'"{key}": []')
        out.write(before)
        out.write(f'"{key}": [')
        empty = True
        for pieces in items:
            out.write(("\n    " if empty else ",\n    "))
            out.writelines(pieces)
            empty = False
        out.write("]" if empty else "\n  ]")
    body, end, tail = text.rpartition("\n}")
    out.write(body)
    for key, writer in sections:
        out.write(f',\n  "{key}": ')
        writer(out)
    out.write(end + tail)


def _scenario_lines(scenarios: Replayable[ScenarioResult]) -> Iterator[list[str]]:
    if isinstance(scenarios, ScenarioLog) and scenarios.spooled:  # each line is the one written below
        return ([line[:-1]] for line in scenarios.lines())
    return ([dumps_line(s.to_dict())[:-1]] for s in scenarios)


def _requirement_lines(requirements: list[RequirementResult]) -> Iterator[Iterable[str]]:
    """Each requirement's line in pieces; spooled findings are spliced in as they are stored."""
    for req in requirements:
        findings = req.findings
        if not isinstance(findings, Spool) or findings.ascii:
            yield [dumps_line(req.to_dict())[:-1]]
            continue
        head = json_line(dataclasses.replace(req, findings=[]).to_dict())
        if is_fallback(head):
            yield [dumps_line(req.to_dict())[:-1]]
            continue
        yield _spliced(head[:-4], findings)  # the head ends with '"findings": []}' and a newline


def _spliced(head: str, findings: Spool) -> Iterator[str]:
    yield head + "["
    for index, line in enumerate(findings.lines()):
        yield (", " if index else "") + line[:-1]
    yield "]}"


def findings_lines(run: RunResult) -> Iterator[str]:
    """One JSON object a line per finding, with the scenario and document it comes from."""
    if isinstance(run.scenarios, ScenarioLog) and run.scenarios.spooled:
        for line in run.scenarios.lines():
            yield from _cut_findings(line)
        return
    for scenario in run.scenarios:
        for finding in scenario.findings:
            yield dumps_line({"subject": scenario.subject, "scenario": scenario.nodeid, **finding.to_dict()})


_SCAN = json.JSONDecoder().raw_decode
_NODEID, _SUBJECT, _FINDINGS = '{"nodeid": ', '"subject": ', '"findings": ['


def _cut_findings(line: str) -> Iterator[str]:
    """The findings.jsonl lines of one spooled scenario line, cut out of its text rather than decoded and
    encoded again: the line is ``json_line(ScenarioResult.to_dict())``, whose findings are already the
    JSON text each would encode to, and in which a key cannot be mistaken for text (quotes inside strings
    are escaped). A line in the ASCII fallback is decoded (its lines may need the fallback too)."""
    if not line.startswith(_NODEID) or is_fallback(line):
        data = json.loads(line)
        for step in data["steps"]:
            for finding in step["findings"]:
                yield dumps_line({"subject": data["subject"], "scenario": data["nodeid"], **finding})
        return
    end = _SCAN(line, len(_NODEID))[1]
    nodeid = line[len(_NODEID) : end]
    start = line.index(_SUBJECT, end) + len(_SUBJECT)
    end = _SCAN(line, start)[1]
    head = '{"subject": ' + line[start:end] + ', "scenario": ' + nodeid + ", "
    pos = end
    while (pos := line.find(_FINDINGS, pos)) != -1:
        pos += len(_FINDINGS)
        while line[pos] == "{":
            end = _SCAN(line, pos)[1]
            yield head + line[pos + 1 : end] + "\n"
            pos = end + 2 if line.startswith(", ", end) else end


dumps_line = json_line


def is_large(run: RunResult) -> bool:
    return len(subjects(run.scenarios)) >= LARGE_RUN


def load_run(path: str | Path) -> RunResult:
    """Read a ``report.json`` back; refuses another major schema version rather than misreading it."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ReportVersionError(
            f"{path} : version de schéma {version or 'absente'} incompatible avec {SCHEMA_VERSION}."
        )
    return RunResult.from_dict(data)
