"""``evidence.zip``: the evidence pack for a homologation dossier.

It holds report.json, index.html, summary.md, one JSON file per exchange recorded by a mock
(``echanges/``) and a ``MANIFEST.json`` giving the tool, report schema and official artefact
versions and the SHA-256 of every other file. Secrets are masked before anything is packed; entries carry a
fixed date so that the same run always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import asdict, replace
from typing import Any

from ..model import SCHEMA_VERSION, RunResult
from .common import ReportContext
from .html import render_html
from .json_report import dumps, render_json
from .markdown import render_markdown
from .redact import redact

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def exchange_filename(index: int, exchange: dict[str, Any]) -> str:
    """A safe, unique archive name: the exchange id may come from hostile traffic."""
    stem = _UNSAFE.sub("_", str(exchange.get("id", ""))).strip("_-")[:80] or "echange"
    return f"echanges/{index + 1:04d}-{stem}.json"


def redact_run(run: RunResult) -> RunResult:
    return RunResult.from_dict(redact(run.to_dict()))


def build_evidence(run: RunResult, context: ReportContext | None = None) -> bytes:
    run = redact_run(run)
    context = context or ReportContext()
    if context.readiness is None:
        context = replace(context, readiness=context.assess(run))
    files: dict[str, bytes] = {
        "report.json": render_json(run).encode("utf-8"),
        "index.html": render_html(run, context).encode("utf-8", "backslashreplace"),
        "summary.md": render_markdown(run, context).encode("utf-8", "backslashreplace"),
    }
    for index, exchange in enumerate(run.exchanges):
        files[exchange_filename(index, exchange)] = dumps(exchange).encode("utf-8")
    manifest = {
        "outil": run.tool,
        "schema_rapport": SCHEMA_VERSION,
        "execution": {
            "run_id": run.run_id,
            "profil": run.profile,
            "environnement": run.environment,
            "mode": run.mode,
            "debut": run.started,
            "fin": run.finished,
            "verdict": run.verdict,
        },
        "artefacts": run.artefacts,
        "attendus": [asdict(e) for e in context.expectations or []],
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    files["MANIFEST.json"] = dumps(manifest).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
