"""Report writers: every report is a pure function of one :class:`~dui_conformance.model.RunResult`.

``write_reports`` masks secrets once (see :mod:`.redact`) and then writes the requested
formats, each rendered once: ``evidence.zip`` packs the files just written rather than rendering
them again. ``report.json`` is canonical and ``load_run`` reads it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from ..model import RunResult
from ..settings import REPORT_FORMATS
from .common import ReportContext
from .cucumber import render_cucumber
from .evidence import PACKED, build_evidence, redact_run, render_packed, write_evidence
from .html import render_html
from .json_report import ReportVersionError, findings_lines, is_large, load_run, render_json, write_json
from .junit import render_junit
from .markdown import render_markdown
from .redact import redact

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")

_WRITERS: dict[str, tuple[str, Callable[[RunResult, ReportContext], str | bytes] | None]] = {
    "json": ("report.json", lambda run, _: render_json(run)),
    "html": ("index.html", render_html),
    "junit": ("junit.xml", lambda run, _: render_junit(run)),
    "cucumber": ("cucumber.json", lambda run, _: render_cucumber(run)),
    "markdown": ("summary.md", render_markdown),
    "evidence": ("evidence.zip", None),  # write_evidence packs the files written before it
}
ALL_FORMATS: tuple[str, ...] = REPORT_FORMATS


def write_reports(
    run: RunResult, out_dir: Path, formats: Iterable[str] = ALL_FORMATS, context: ReportContext | None = None
) -> dict[str, Path]:
    """Write the chosen formats into ``out_dir``; returns format → written path."""
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
        name, render = _WRITERS[fmt]
        path = out_dir / name
        if fmt == "evidence":
            with path.open("wb") as out:
                packed = {f: written.get(f) or render_packed(safe, context, f) for f in PACKED}
                write_evidence(safe, context, packed, out)
        elif fmt == "json":  # streamed: the canonical report can be far larger than the others
            with path.open("w", encoding="utf-8", errors="backslashreplace") as out:
                write_json(safe, out)
            if is_large(safe):
                with (out_dir / "findings.jsonl").open("w", encoding="utf-8", errors="backslashreplace") as out:
                    out.writelines(findings_lines(safe))
                written["findings"] = out_dir / "findings.jsonl"
        else:
            assert render is not None
            content = render(safe, context)
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "backslashreplace"))
        written[fmt] = path
    return written


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
