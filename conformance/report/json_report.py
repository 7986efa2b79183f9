"""``report.json``: the canonical, versioned form of a run, and its inverse.

:func:`write_json` streams the same JSON as :func:`render_json` item by item, so that a
10 000-document report is never one string in memory: one requirement or scenario a line
(the C encoder; ``indent`` would fall back to the pure-Python one, the slowest part of a large
report). Large runs also get ``findings.jsonl`` (one finding a line) for tools that read
findings without loading the whole report.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ..model import SCHEMA_VERSION, RunResult

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
    return dumps(run.to_dict())


def write_json(run: RunResult, out: TextIO) -> None:
    """Write the data of :func:`render_json`, one requirement or scenario at a time, each on its line."""
    head = dataclasses.replace(run, requirements=[], scenarios=[]).to_dict()
    head.update(verdict=run.verdict, counts=run.counts())
    text = dumps(head)
    for key, items in zip(_STREAMED, (run.requirements, run.scenarios)):
        before, marker, text = text.partition(f'"{key}": []')
        out.write(before)
        out.write(f'"{key}": [')
        for index, item in enumerate(items):
            out.write(("," if index else "") + "\n    " + dumps_line(item.to_dict())[:-1])
        out.write("\n  ]" if items else "]")
    out.write(text)


def findings_lines(run: RunResult) -> Iterator[str]:
    """One JSON object a line per finding, with the scenario and document it comes from."""
    for scenario in run.scenarios:
        for finding in scenario.findings:
            line = {"subject": scenario.subject, "scenario": scenario.nodeid, **finding.to_dict()}
            yield dumps_line(line)


def dumps_line(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True)
    return text + "\n"


def is_large(run: RunResult) -> bool:
    return len({s.subject for s in run.scenarios}) >= LARGE_RUN


def load_run(path: str | Path) -> RunResult:
    """Read a ``report.json`` back; refuses another major schema version rather than misreading it."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ReportVersionError(
            f"{path} : version de schéma {version or 'absente'} incompatible avec {SCHEMA_VERSION}."
        )
    return RunResult.from_dict(data)
