"""``summary.md``: a short French summary for CI job pages (e.g. ``$GITHUB_STEP_SUMMARY``).

CI pages render Markdown and inline HTML, so every string from a run is escaped.
"""

from __future__ import annotations

import re

from ..model import Outcome, RunResult
from .labels import OUTCOME_SYMBOLS, VERDICT_SYMBOLS, profile_label, service_label, service_order

_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")  # inline syntax only: values never start a line
_LISTED = 10  # blocking failures listed before "… et N autres"


def md(value: object) -> str:
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _more(total: int) -> list[str]:
    return [f"- … et {total - _LISTED} autres (voir index.html)"] if total > _LISTED else []


def render_markdown(run: RunResult) -> str:
    verdict = run.verdict
    lines = [
        f"## Conformité Ségur DUI : {VERDICT_SYMBOLS.get(verdict, '')} **{verdict}**",
        "",
        f"Profil **{md(profile_label(run.profile))}** · environnement {md(run.environment)} · mode {md(run.mode)} · "
        f"du {md(run.started)} au {md(run.finished)} · outil {md(run.tool.get('version', '?'))}",
        "",
        "| Service | " + " | ".join(f"{OUTCOME_SYMBOLS[o]} {o.label}" for o in Outcome) + " |",
        "|---|" + "---:|" * len(Outcome),
    ]
    for service in service_order({r.service for r in run.requirements}):
        outcomes = [r.outcome for r in run.requirements if r.service == service]
        lines.append(f"| {md(service_label(service))} | " + " | ".join(str(outcomes.count(o)) for o in Outcome) + " |")
    blocking = run.blocking_failures
    if blocking:
        lines += ["", f"### Exigences bloquantes non conformes ({len(blocking)})", ""]
        for req in blocking[:_LISTED]:
            first = next((f for f in req.findings if f.outcome is Outcome.FAIL), None)
            detail = f" — {md(first.message)}" if first else ""
            lines.append(f"- **{md(req.id)}** {md(req.statement)}{detail}")
        lines += _more(len(blocking))
    undecided = run.blocking_undecided
    if undecided:
        lines += ["", f"### Exigences bloquantes non décidées ({len(undecided)})", ""]
        for req in undecided[:_LISTED]:
            detail = f" — {md(req.findings[0].message)}" if req.findings else ""
            lines.append(f"- **{md(req.id)}** ({md(req.outcome.label)}) {md(req.statement)}{detail}")
        lines += _more(len(undecided))
    errors = run.harness_errors
    if errors:
        lines += ["", f"### Erreurs du harnais ({len(errors)})", ""]
        lines += [f"- {md(s.name)} ({md(s.subject)}) — {md(s.error or 'erreur dans une étape')}" for s in errors[:_LISTED]]
        lines += _more(len(errors))
    lines += ["", "Rapport détaillé : `index.html` ; données : `report.json`.", ""]
    return "\n".join(lines)
