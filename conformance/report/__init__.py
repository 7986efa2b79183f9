"""Report writers: every report is a pure function of one :class:`~dui_conformance.model.RunResult`.

``write_reports`` masks secrets once (see :mod:`~dui_conformance.redact`; a run from ``execute`` was masked as its
results came) and then streams the requested formats to their files, each rendered once:
``evidence.zip`` packs the files just written rather than rendering them again. ``report.json`` is
canonical and ``load_run`` reads it back.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..model import RunResult
from ..redact import redact
from ..results import fewer_collections
from ..settings import REPORT_FORMATS
from .by_feature import feed
from .common import ReportContext
from .cucumber import cucumber_writer, render_cucumber
from .evidence import PACKED, Members, build_evidence, redact_run, write_evidence, write_report_json
from .html import render_html, write_html
from .json_report import ReportVersionError, findings_lines, is_large, load_run, render_json
from .junit import junit_writer, render_junit
from .markdown import render_markdown
from .official import VIEWED, write_rem_xlsx

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


# format → (file name, streaming writer, whether it writes bytes)
_WRITERS: dict[str, tuple[str, Callable[[RunResult, ReportContext, Any], None] | None, bool]] = {
    "json": ("report.json", write_report_json, False),
    "html": ("index.html", write_html, False),
    "junit": ("junit.xml", None, True),  # these two: one pass over the scenarios (_BY_FEATURE)
    "cucumber": ("cucumber.json", None, False),
    "markdown": ("summary.md", lambda run, context, out: out.write(render_markdown(run, context)), False),
    "evidence": ("evidence.zip", None, True),  # write_evidence packs the files written before it
    "rem": ("rem-preuves.xlsx", lambda run, context, out: write_rem_xlsx(context.official(run), out), True),
}
_BY_FEATURE = {"junit": lambda run, out: junit_writer(run, out), "cucumber": lambda run, out: cucumber_writer(out)}
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
        raise ValueError(
            f"Format(s) de rapport inconnu(s) : {', '.join(unknown)} (attendus : {', '.join(ALL_FORMATS)})."
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with fewer_collections():  # every writer allocates per scenario or finding, reference counting frees it
        return _write_reports(run, out_dir, wanted, context)


def _write_reports(run: RunResult, out_dir: Path, wanted: list[str], context: ReportContext) -> dict[str, Path]:
    """The formats that list scenarios (junit, cucumber: one pass, pure Python) are written while another
    thread packs the evidence, mostly compression and hashing, which let go of the interpreter lock."""
    safe = redact_run(run)
    if context.readiness is None and {"html", "markdown", "evidence"} & set(wanted):
        context = replace(context, readiness=context.assess(safe))
    if VIEWED & set(wanted):  # the view by official id, one pass over the run for every writer
        context = replace(context, view=context.official(safe, Members(safe) if "evidence" in wanted else None))
    written: dict[str, Path] = {}
    for fmt in wanted:
        if fmt in _BY_FEATURE or fmt == "evidence":
            continue
        written[fmt] = _write(fmt, safe, context, out_dir / _WRITERS[fmt][0])
        if fmt == "json" and is_large(safe):
            with (out_dir / "findings.jsonl").open("w", encoding="utf-8", errors="backslashreplace") as out:
                out.writelines(findings_lines(safe))
            written["findings"] = out_dir / "findings.jsonl"
    listed = [fmt for fmt in wanted if fmt in _BY_FEATURE]
    with ThreadPoolExecutor(max_workers=1) as pool:
        packing = pool.submit(_pack, safe, context, written, out_dir) if "evidence" in wanted else None
        if listed:
            _write_by_feature(listed, safe, out_dir)
        if packing is not None:
            written["evidence"] = packing.result()
    result: dict[str, Path] = {}  # in the order of old: evidence last, findings.jsonl just before report.json
    for fmt in sorted(wanted, key=lambda f: f == "evidence"):
        if fmt == "json" and "findings" in written:
            result["findings"] = written["findings"]
        result[fmt] = out_dir / _WRITERS[fmt][0]
    return result


def _pack(safe: RunResult, context: ReportContext, written: dict[str, Path], out_dir: Path) -> Path:
    """evidence.zip from the files just written, or ones written for it in a temporary directory."""
    path = out_dir / _WRITERS["evidence"][0]
    with tempfile.TemporaryDirectory(prefix="dui-conformance-preuves-") as tmp, path.open("wb") as out:
        packed = {f: written.get(f) or _write(f, safe, context, Path(tmp) / _WRITERS[f][0]) for f in PACKED}
        write_evidence(safe, context, packed, out)
    return path


def _write_by_feature(formats: list[str], safe: RunResult, out_dir: Path) -> None:
    """junit.xml and cucumber.json in one pass over the scenarios (each read once between them)."""
    with ExitStack() as files:
        outs = [files.enter_context(_open(fmt, out_dir / _WRITERS[fmt][0])) for fmt in formats]
        feed(safe, [_BY_FEATURE[fmt](safe, out) for fmt, out in zip(formats, outs, strict=False)])


def _write(fmt: str, safe: RunResult, context: ReportContext, path: Path) -> Path:
    writer = _WRITERS[fmt][1]
    assert writer is not None
    with _open(fmt, path) as out:
        writer(safe, context, out)
    return path


def _open(fmt: str, path: Path) -> Any:
    binary = _WRITERS[fmt][2]
    return path.open("wb") if binary else path.open("w", encoding="utf-8", errors="backslashreplace")


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
