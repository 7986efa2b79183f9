"""Report writers: every report is a pure function of one :class:`~dui_conformance.model.RunResult`.

``write_reports`` masks secrets once (see :mod:`.redact`; a run from ``execute`` was masked as its
results came) and then streams the requested formats to their files, each rendered once:
``evidence.zip`` packs the files just written rather than rendering them again. ``report.json`` is
canonical and ``load_run`` reads it back.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from ..model import RunResult
from ..settings import REPORT_FORMATS
from .common import ReportContext
from .cucumber import render_cucumber, write_cucumber
from .evidence import PACKED, build_evidence, redact_run, write_evidence
from .html import render_html, write_html
from .json_report import ReportVersionError, findings_lines, is_large, load_run, render_json, write_json
from .junit import render_junit, write_junit
from .markdown import render_markdown
from .redact import redact

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")

def _json(run: RunResult, context: ReportContext, out: TextIO) -> None:
    write_json(run, out)


# format → (file name, streaming writer, whether it writes bytes)
_WRITERS: dict[str, tuple[str, Callable[[RunResult, ReportContext, Any], None] | None, bool]] = {
    "json": ("report.json", _json, False),
    "html": ("index.html", write_html, False),
    "junit": ("junit.xml", lambda run, _, out: write_junit(run, out), True),
    "cucumber": ("cucumber.json", lambda run, _, out: write_cucumber(run, out), False),
    "markdown": ("summary.md", lambda run, context, out: out.write(render_markdown(run, context)), False),
    "evidence": ("evidence.zip", None, True),  # write_evidence packs the files written before it
}
ALL_FORMATS: tuple[str, ...] = REPORT_FORMATS


def write_reports(
    run: RunResult, out_dir: Path, formats: Iterable[str] = ALL_FORMATS, context: ReportContext | None = None
) -> dict[str, Path]:
    """Write the chosen formats into ``out_dir``; returns format → written path.

    Every writer streams to its file (none holds the whole run); the evidence pack copies the files
    written, or ones written for it in a temporary directory when their formats were not asked for."""
    context = context or ReportContext()
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in _WRITERS]
    if unknown:
        raise ValueError(f"Format(s) de rapport inconnu(s) : {', '.join(unknown)} (attendus : {', '.join(ALL_FORMATS)}).")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    safe = redact_run(run)
    if context.readiness is None and {"html", "markdown", "evidence"} & set(wanted):
        context = replace(context, readiness=context.assess(safe))
    written: dict[str, Path] = {}
    for fmt in sorted(wanted, key=lambda f: f == "evidence"):
        path = out_dir / _WRITERS[fmt][0]
        if fmt == "evidence":
            with tempfile.TemporaryDirectory(prefix="dui-conformance-preuves-") as tmp, path.open("wb") as out:
                packed = {f: written.get(f) or _write(f, safe, context, Path(tmp) / _WRITERS[f][0]) for f in PACKED}
                write_evidence(safe, context, packed, out)
        else:
            _write(fmt, safe, context, path)
            if fmt == "json" and is_large(safe):
                with (out_dir / "findings.jsonl").open("w", encoding="utf-8", errors="backslashreplace") as out:
                    out.writelines(findings_lines(safe))
                written["findings"] = out_dir / "findings.jsonl"
        written[fmt] = path
    return written


def _write(fmt: str, safe: RunResult, context: ReportContext, path: Path) -> Path:
    _, writer, binary = _WRITERS[fmt]
    assert writer is not None
    with (path.open("wb") if binary else path.open("w", encoding="utf-8", errors="backslashreplace")) as out:
        writer(safe, context, out)
    return path


__all__ = [
    "ALL_FORMATS",
    "ReportContext",
    "SCHEMA_PATH",
    "ReportVersionError",
    "build_evidence",
    "load_run",
    "redact",
    "render_cucumber",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "write_reports",
]
