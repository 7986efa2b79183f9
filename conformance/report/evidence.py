"""``evidence.zip``: the evidence pack for a homologation dossier.

It holds report.json, index.html, summary.md, one JSON file per exchange recorded by a mock
(``echanges/``), the documents the run read (``documents/``, :func:`add_documents`) and a ``MANIFEST.json``
giving the tool, report schema and official artefact versions and the SHA-256 of every other file. The run's secrets
are masked before it is packed (the documents are packed as read, to be checked again); entries carry a
fixed date and a fixed (fast) compression level so that the same run always gives the same bytes.

``write_reports`` packs the very files it has just written (:func:`write_evidence`), so that the
pack holds the same bytes as the reports beside it and nothing is rendered or masked twice.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, replace
from itertools import chain
from pathlib import Path
from typing import IO, Any, TextIO, TypeVar

from ..inputs import discover
from ..model import SCHEMA_VERSION, RequirementResult, RunResult, ScenarioResult
from ..redact import redact
from ..results import ScenarioLog
from .common import ReportContext, advisories
from .html import render_html
from .json_report import dumps, write_json
from .markdown import render_markdown
from .official import write_official_json

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_CHUNK = 1 << 20
# zlib's fastest level: a third of the CPU of the default (6) for a pack about a quarter larger; the bytes
# stay the same for the same run.
_LEVEL = 1
PACKED = ("json", "html", "markdown")  # the formats the pack holds, in this order
DOCUMENTS = "documents/"  # the folder of the pack that holds the documents the run read


def exchange_filename(index: int, exchange: dict[str, Any]) -> str:
    """A safe, unique archive name: the exchange id may come from hostile traffic."""
    stem = _UNSAFE.sub("_", str(exchange.get("id", ""))).strip("_-")[:80] or "echange"
    return f"echanges/{index + 1:04d}-{stem}.json"


class Members:
    """Where a finding's evidence sits in ``evidence.zip``: its exchange's file, or the document the run read
    (or the file that contains it, for a document inside an archive or a message)."""

    def __init__(self, run: RunResult):
        self._exchanges: dict[str, str] = {}
        for index, exchange in enumerate(run.exchanges):
            self._exchanges.setdefault(str(exchange.get("id")), exchange_filename(index, exchange))
        self._inputs = [os.path.abspath(p) for p in run.inputs]
        self._root = documents_root(run.inputs) if any(os.path.exists(p) for p in run.inputs) else None
        self._files: dict[str, str | None] = {}

    def __call__(self, file: str | None, exchange: str | None) -> str | None:
        if exchange and exchange in self._exchanges:
            return self._exchanges[exchange]
        if not file or self._root is None:
            return None
        if file not in self._files:
            self._files[file] = self._document(os.path.abspath(file))
        return self._files[file]

    def _document(self, path: str) -> str | None:
        while not os.path.isfile(path) or os.path.islink(path):
            parent = os.path.dirname(path)
            if parent == path:
                return None
            path = parent
        if not any(path == i or path.startswith(i.rstrip(os.sep) + os.sep) for i in self._inputs):
            return None
        assert self._root is not None
        return document_member(path, self._root)


def redact_run(run: RunResult) -> RunResult:
    """The run with its secrets masked, one scenario or requirement at a time (the same result as masking
    ``run.to_dict()`` whole: no key of the run itself is sensitive), so that a large run is never copied
    whole; what has nothing to mask (most of an offline run) is kept as it is, not rebuilt. A run from
    :func:`~dui_conformance.runner.execute` was masked as its results came (its scenarios are a
    :class:`~dui_conformance.results.ScenarioLog`): only its head is left to mask."""
    head = replace(run, scenarios=[], requirements=[]).to_dict()
    safe_head = redact(head)
    if isinstance(run.scenarios, ScenarioLog):
        return (
            run
            if safe_head == head
            else replace(RunResult.from_dict(safe_head), scenarios=run.scenarios, requirements=run.requirements)
        )
    scenarios = [_redacted(s) for s in run.scenarios]
    requirements = [_redacted(r) for r in run.requirements]
    if safe_head == head and all(
        a is b for a, b in zip(chain(scenarios, requirements), chain(run.scenarios, run.requirements), strict=False)
    ):
        return run
    return replace(RunResult.from_dict(safe_head), scenarios=scenarios, requirements=requirements)


Item = TypeVar("Item", ScenarioResult, RequirementResult)


def _redacted(item: Item) -> Item:
    data = item.to_dict()
    safe = redact(data)
    return item if safe == data else type(item).from_dict(safe)


def write_report_json(run: RunResult, context: ReportContext, out: TextIO) -> None:
    """``report.json`` with its ``official`` section (the view by official id of ``context``)."""
    view = context.official(run)
    write_json(run, out, [("official", lambda stream: write_official_json(view, stream))])


def render_json_bytes(run: RunResult, context: ReportContext) -> bytes:
    """``report.json`` exactly as ``write_reports`` streams it to disk."""
    out = io.StringIO()
    write_report_json(run, context, out)
    return out.getvalue().encode("utf-8", "backslashreplace")


def render_packed(safe: RunResult, context: ReportContext, fmt: str) -> bytes:
    """The bytes of one packed format (``PACKED``) for an already masked run (``write_reports`` packs
    the files it wrote instead)."""
    if fmt == "json":
        return render_json_bytes(safe, context)
    render = render_html if fmt == "html" else render_markdown
    return render(safe, context).encode("utf-8", "backslashreplace")


def build_evidence(run: RunResult, context: ReportContext | None = None) -> bytes:
    """The pack of ``run`` in memory (masks the run first)."""
    safe = redact_run(run)
    context = context or ReportContext()
    if context.readiness is None:
        context = replace(context, readiness=context.assess(safe))
    context = replace(context, view=context.official(safe, Members(safe)))
    buffer = io.BytesIO()
    write_evidence(safe, context, {fmt: render_packed(safe, context, fmt) for fmt in PACKED}, buffer)
    return buffer.getvalue()


def write_evidence(
    safe: RunResult, context: ReportContext, artefacts: Mapping[str, bytes | Path], out: IO[bytes]
) -> None:
    """Pack an already masked run into ``out``; ``artefacts`` gives, per ``PACKED`` format, its bytes
    or the file already written (copied in chunks: a large report.json never sits in memory twice)."""
    names = {"json": "report.json", "html": "index.html", "markdown": "summary.md"}
    digests: dict[str, str] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for fmt in PACKED:
            source = artefacts[fmt]
            if isinstance(source, Path):
                with source.open("rb") as stream:
                    digests[names[fmt]] = _add(archive, names[fmt], stream, source.stat().st_size)
            else:
                digests[names[fmt]] = _add(archive, names[fmt], io.BytesIO(source), len(source))
        for index, exchange in enumerate(safe.exchanges):
            data = dumps(exchange).encode("utf-8")
            name = exchange_filename(index, exchange)
            digests[name] = _add(archive, name, io.BytesIO(data), len(data))
        digests |= add_documents(archive, safe.inputs)
        manifest = {
            "outil": safe.tool,
            "schema_rapport": SCHEMA_VERSION,
            "execution": {
                "run_id": safe.run_id,
                "profil": safe.profile,
                "environnement": safe.environment,
                "vague": safe.wave,  # verifier replays the documents in the same wave
                "mode": safe.mode,
                "debut": safe.started,
                "fin": safe.finished,
                "verdict": safe.verdict,
                "avertissements": sum(n for _, n in advisories(safe)),  # PEUT found broken: apart from failures
            },
            "artefacts": safe.artefacts,
            "attendus": [asdict(e) for e in context.expectations or []],
            "sha256": digests,
        }
        data = dumps(manifest).encode("utf-8")
        _add(archive, "MANIFEST.json", io.BytesIO(data), len(data))


def documents_root(inputs: list[str]) -> str:
    """The folder the documents are packed relative to: their names in the pack do not depend on where the run
    took place, and ``verifier`` finds each subject of the report under it."""
    return os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in inputs])


def document_member(path: str | os.PathLike, root: str) -> str:
    """The name in the pack of a document the run read (``root``: :func:`documents_root`)."""
    return DOCUMENTS + Path(os.path.relpath(path, root)).as_posix()


def add_documents(archive: zipfile.ZipFile, inputs: list[str]) -> dict[str, str]:
    """Pack every file the run read, as it read it (not masked: ``dui-conformance verifier`` checks them
    again), under ``documents/`` with its path relative to :func:`documents_root`; returns name → SHA-256.
    An input gone since the run is not packed (``verifier`` names it as missing)."""
    present: list[str | os.PathLike] = [p for p in inputs if os.path.exists(p)]
    if not present:
        return {}
    root = documents_root(inputs)
    digests: dict[str, str] = {}
    for file in discover(present):
        name = document_member(file, root)
        if name not in digests:  # a file named twice in the inputs is packed once
            with file.open("rb") as stream:
                digests[name] = _add(archive, name, stream, file.stat().st_size)
    return digests


def _add(archive: zipfile.ZipFile, name: str, stream: IO[bytes], size: int) -> str:
    """One entry with a fixed date; returns the SHA-256 of its content."""
    info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    if hasattr(info, "compress_level"):  # public from Python 3.13
        info.compress_level = _LEVEL
    else:  # what ZipFile.open(info) reads before 3.13
        info._compresslevel = _LEVEL  # type: ignore[attr-defined]  # a private slot, absent from the stubs
    info.external_attr = 0o644 << 16
    info.file_size = size  # decides zip64 up front, as writestr does
    digest = hashlib.sha256()
    with archive.open(info, "w") as entry:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            entry.write(chunk)
    return digest.hexdigest()
