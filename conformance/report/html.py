"""``index.html``: the readiness report, self-contained and in French.

The first screen answers "is this DUI ready?": one tile per service socle with its verdict
for the chosen profile and the two others, then the blocking failures with their evidence and
the fix in one sentence. Then a document view, a requirement view (passing results as counts,
never inlined), the versions of the rule sets and official artefacts, and the exchanges.

Everything shown comes from documents and exchanges that may be hostile: the template is
rendered with autoescape on, and a Content-Security-Policy forbids any external load and
any script other than the one shipped here (pinned by its hash).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from importlib import resources
from typing import Any, TextIO

import jinja2

from ..expectations import reconcile
from ..inputs import KIND_LABELS
from ..model import SCHEMA_VERSION, Finding, Outcome, RequirementResult, RunResult
from ..requirements.catalogue import PROFILES
from ..requirements.waves import wave_referential
from ..results import Spool
from .common import ReportContext, advisories
from .labels import OUTCOME_SYMBOLS, VERDICT_SYMBOLS, profile_label, service_label, shown_outcomes
from .official import html_rows
from .readiness import LIVE_SUBJECT, Readiness, correction, document_key

# Evidence excerpts are shown for the first findings of each requirement, cut to a readable
# length: report.json and the evidence pack keep every finding whole.
EVIDENCE_SHOWN = 25
EVIDENCE_CHARS = 1500
EXCHANGE_CHARS = 6000
FINDINGS_SHOWN = 200

_SCRIPT = """
(function () {
  function visible(body, text, outcome) {
    var name = (body.dataset.nom || '').toLowerCase();
    return (text === '' || name.indexOf(text) !== -1) && (outcome === '' || body.dataset.outcome === outcome);
  }
  document.querySelectorAll('.filtres').forEach(function (box) {
    box.hidden = false;
    var table = document.getElementById(box.dataset.table);
    var search = box.querySelector('input');
    var select = box.querySelector('select');
    var count = box.querySelector('output');
    function apply() {
      var text = search ? search.value.trim().toLowerCase() : '';
      var outcome = select ? select.value : '';
      var shown = 0;
      table.querySelectorAll(':scope > tbody').forEach(function (body) {
        body.hidden = !visible(body, text, outcome);
        if (!body.hidden) { shown += 1; }
      });
      if (count) { count.textContent = shown + ' ligne(s) affichée(s)'; }
    }
    if (search) { search.addEventListener('input', apply); }
    if (select) { select.addEventListener('change', apply); }
  });
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details').forEach(function (d) { d.open = true; });
    document.querySelectorAll('tbody[hidden]').forEach(function (b) { b.hidden = false; });
  });
})();
"""

_COLOURS = {
    Outcome.PASS: "#2e7d32",
    Outcome.FAIL: "#c62828",
    Outcome.ADVISORY: "#1565c0",
    Outcome.SKIP: "#b59a00",
    Outcome.OMIT: "#9e9e9e",
    Outcome.ERROR: "#e65100",
    Outcome.NOT_RUN: "#cfcfcf",
}


def _excerpt(text: str, limit: int = EVIDENCE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… (tronqué : {len(text)} caractères, voir report.json)"


def _environment() -> jinja2.Environment:
    templates = resources.files(__package__) / "templates"
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (templates / name).read_text(encoding="utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = lambda outcome: Outcome(outcome).label
    env.filters["symbol"] = lambda outcome: OUTCOME_SYMBOLS[Outcome(outcome)]
    env.filters["service"] = service_label
    env.filters["profile"] = profile_label
    env.filters["vclass"] = lambda verdict: "v-" + "".join(c if c.isalnum() else "-" for c in verdict.replace("é", "e"))
    env.filters["vsymbol"] = lambda verdict: VERDICT_SYMBOLS.get(verdict, "○")
    env.filters["excerpt"] = _excerpt
    return env


_ENV = _environment()


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _exchange_failures(run: RunResult) -> dict[str, list[str]]:
    """Exchange id → the failures the library found on it (``requirement : message``), listed under the exchange.

    The simulated services only record; their exchanges are judged like any input, so what went wrong with one is
    read back from the findings that point at it. Offline runs record no exchange: nothing is read."""
    failures: dict[str, list[str]] = {}
    if not run.exchanges:
        return failures
    for requirement in run.requirements:
        for finding in requirement.findings:
            if finding.location.exchange and finding.outcome in (Outcome.FAIL, Outcome.ERROR):
                failures.setdefault(finding.location.exchange, []).append(f"{requirement.id} : {finding.message}")
    return failures


def _exchange_evidence(exchanges: list[dict[str, Any]]) -> dict[str, str]:
    """Exchange id → its recorded request and response (already redacted), shown under a failure."""
    shown: dict[str, str] = {}
    for x in exchanges:
        shown.setdefault(str(x.get("id")), _pretty({k: x.get(k) for k in ("request", "response") if k in x} or x))
    return shown


def _first_anchors(prefix: str, keys: list[str]) -> dict[str, str]:
    """Link target for each key: the first item bearing it (keys from hostile input may repeat)."""
    anchors: dict[str, str] = {}
    for n, key in enumerate(keys):
        anchors.setdefault(key, f"{prefix}-{n}")
    return anchors


def _bars(rows: list[tuple[str, list[tuple[Outcome, int]]]], width: int = 520) -> dict[str, Any]:
    """Geometry of a stacked horizontal bar chart (label, segments); the template draws it."""
    biggest = max((sum(n for _, n in segments) for _, segments in rows), default=0) or 1
    drawn = []
    for index, (label, segments) in enumerate(rows):
        x, parts = 0.0, []
        for outcome, count in segments:
            if count:
                w = width * count / biggest
                parts.append(
                    {
                        "x": round(x, 1),
                        "w": round(w, 1),
                        "colour": _COLOURS[outcome],
                        "title": f"{label} : {count} {outcome.label}",
                    }
                )
                x += w
        total = sum(n for _, n in segments)
        drawn.append({"y": index * 24, "label": label, "parts": parts, "total": total, "end": round(x, 1)})
    return {"rows": drawn, "height": len(rows) * 24 + 4, "width": width}


def _charts(run: RunResult, readiness: Readiness) -> dict[str, Any]:
    per_service = []
    for code in readiness.services:
        counts = Counter(r.outcome for r in run.requirements if r.service == code)
        per_service.append((service_label(code), [(o, counts.get(o, 0)) for o in Outcome]))
    per_kind = [
        (kind_label(kind), [(Outcome.FAIL, failing), (Outcome.PASS, total - failing)])
        for kind, failing, total in readiness.failures_by_kind
    ]
    return {"services": _bars(per_service), "kinds": _bars(per_kind)}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def render_html(run: RunResult, context: ReportContext | None = None) -> str:
    return "".join(_generate(run, context))


def write_html(run: RunResult, context: ReportContext | None, out: TextIO) -> None:
    """Streamed to ``out`` as the template renders (jinja2 ``generate``)."""
    for chunk in _generate(run, context):
        out.write(chunk)


def _requirement_row(r: RequirementResult) -> dict[str, Any]:
    """One pass over the requirement's findings (spooled on a large run: read as data, only the ones shown
    rebuilt): counts, documents, the first ones other than conforme/non applicable."""
    counts: Counter = Counter()
    files: set[str] = set()
    shown: list[Finding] = []
    quiet = (Outcome.PASS.value, Outcome.OMIT.value)
    if isinstance(r.findings, Spool):
        items: Iterator[tuple[str, str | None, Any]] = ((d["outcome"], d["file"], d) for d in r.findings.dicts())
    else:
        items = ((f.outcome.value, f.location.file, f) for f in r.findings)
    for outcome, file, f in items:
        counts[outcome] += 1
        if file:
            files.add(file)
        if outcome not in quiet and len(shown) < FINDINGS_SHOWN:
            shown.append(f if isinstance(f, Finding) else Finding.from_dict(f))
    notable = sum(n for o, n in counts.items() if o not in quiet)
    return {"counts": counts, "documents": len(files), "shown": shown, "more": max(0, notable - FINDINGS_SHOWN)}


def _generate(run: RunResult, context: ReportContext | None) -> Iterator[str]:
    context = context or ReportContext()
    readiness = context.assess(run)
    reconciliation = (
        reconcile(run, context.expectations, context.catalogue) if context.expectations is not None else None
    )
    requirement_anchor = _first_anchors("req", [r.id for r in run.requirements])
    exchange_anchor = _first_anchors("ex", [str(x.get("id")) for x in run.exchanges])
    document_anchor = {row.subject: f"doc-{n}" for n, row in enumerate(readiness.documents)}
    blocking = reconciliation.unexpected if reconciliation else run.blocking_failures
    blocking_ids = {r.id for r in run.blocking_failures}

    def failing(findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)]

    requirements = []
    for code in readiness.services:
        rows = []
        for r in run.requirements:
            if r.service != code:
                continue
            rows.append(
                {
                    "anchor": requirement_anchor[r.id],
                    "req": r,
                    **_requirement_row(r),
                    "profiles": readiness.blocking.get(r.id, []),
                    "listed": r.id in blocking_ids,
                }
            )
        evaluated = sum(1 for row in rows if row["req"].outcome not in (Outcome.NOT_RUN,))
        requirements.append({"code": code, "rows": rows, "evaluated": evaluated})

    advised = advisories(run)
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    failures = _exchange_failures(run)
    view = context.official(run)
    yield from _ENV.get_template("index.html.j2").generate(
        run=run,
        readiness=readiness,
        profiles=PROFILES,
        verdict=run.verdict,
        counts=run.counts(),
        outcomes=shown_outcomes(bool(advised)),
        advised=[(r, n, next((f for f in r.findings if f.outcome is Outcome.ADVISORY), None)) for r, n in advised],
        advised_total=sum(n for _, n in advised),
        blocking=[(n, r, correction(r), failing(r.findings)) for n, r in enumerate(blocking)],
        blocking_total=len(run.blocking_failures),
        # Shown, not judged: the verdict (RunResult.verdict) decides what undecided blocking means.
        undecided=[r for r in run.requirements if r.blocking and r.outcome in (Outcome.SKIP, Outcome.NOT_RUN)],
        reconciliation=reconciliation,
        harness_errors=run.harness_errors,
        requirements=requirements,
        documents=[(document_anchor[row.subject], row) for row in readiness.documents],
        document_anchor=document_anchor,
        document_name=document_key(run),
        live_subject=LIVE_SUBJECT,
        kind_label=kind_label,
        charts=_charts(run, readiness),
        requirement_anchor=requirement_anchor,
        exchange_anchor=exchange_anchor,
        exchanges=[
            (f"ex-{n}", x, failures.get(x.get("id") or "", []), _pretty(x)) for n, x in enumerate(run.exchanges)
        ],
        exchange_evidence=_exchange_evidence(run.exchanges),
        exchange_chars=EXCHANGE_CHARS,
        expected_findings={f for _, found in (reconciliation.met if reconciliation else []) for f in found},
        funding=context.funding,
        evidence_shown=EVIDENCE_SHOWN,
        official=view,
        official_rows=html_rows(view, FINDINGS_SHOWN),
        schema_version=SCHEMA_VERSION,
        referential=wave_referential(run.wave).describe(),
        script=_SCRIPT,
        script_hash=f"sha256-{digest}",
    )
