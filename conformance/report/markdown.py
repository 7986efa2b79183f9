"""``summary.md``: a short French summary for CI job pages (e.g. ``$GITHUB_STEP_SUMMARY``).

CI pages render Markdown and inline HTML, so every string from a run is escaped.
"""

from __future__ import annotations

import re

from ..expectations import reconcile
from ..model import Outcome, RunResult
from ..requirements.catalogue import PROFILES
from ..requirements.waves import wave_referential
from .common import ReportContext, advisories
from .labels import OUTCOME_SYMBOLS, VERDICT_SYMBOLS, profile_label, service_label, service_order, shown_outcomes
from .official import OfficialView
from .readiness import correction

_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")  # inline syntax only: values never start a line
_LISTED = 10  # blocking failures listed before "… et N autres"
_OFFICIAL_LISTED = 50  # official ids listed in the compact table


def md(value: object) -> str:
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def _more(total: int) -> list[str]:
    return [f"- … et {total - _LISTED} autres (voir index.html)"] if total > _LISTED else []


def _verdict(value: str) -> str:
    return f"{VERDICT_SYMBOLS.get(value, '○')} {value}"


def render_markdown(run: RunResult, context: ReportContext | None = None) -> str:
    context = context or ReportContext()
    verdict = run.verdict
    readiness = context.assess(run)
    others = [p for p in PROFILES if p != run.profile]
    lines = [
        f"## Conformité Ségur DUI : {VERDICT_SYMBOLS.get(verdict, '')} **{verdict}**",
        "",
        f"Profil **{md(profile_label(run.profile))}** · environnement {md(run.environment)} · mode {md(run.mode)} · "
        f"du {md(run.started)} au {md(run.finished)} · outil {md(run.tool.get('version', '?'))}",
        "",
        f"Référentiel jugé : {md(wave_referential(run.wave).describe())}",
        "",
        "| Service socle | "
        + " | ".join(md(profile_label(p)) + (" (choisi)" if p == run.profile else "") for p in [run.profile, *others])
        + " |",
        "|---|" + "---|" * len(PROFILES),
    ]
    for tile in readiness.tiles:
        lines.append(
            f"| {md(tile.label)} | " + " | ".join(_verdict(tile.verdicts[p]) for p in [run.profile, *others]) + " |"
        )
    lines.append(
        "| **Ensemble** | "
        + " | ".join(f"**{_verdict(readiness.verdicts[p])}**" for p in [run.profile, *others])
        + " |"
    )
    advised = advisories(run)
    shown = shown_outcomes(bool(advised))
    lines += [
        "",
        "| Service | " + " | ".join(f"{OUTCOME_SYMBOLS[o]} {o.label}" for o in shown) + " |",
        "|---|" + "---:|" * len(shown),
    ]
    for service in service_order({r.service for r in run.requirements}):
        outcomes = [r.outcome for r in run.requirements if r.service == service]
        lines.append(f"| {md(service_label(service))} | " + " | ".join(str(outcomes.count(o)) for o in shown) + " |")
    reconciliation = (
        reconcile(run, context.expectations, context.catalogue) if context.expectations is not None else None
    )
    blocking = reconciliation.unexpected if reconciliation else run.blocking_failures
    if blocking:
        title = "inattendues" if reconciliation else "non conformes"
        lines += ["", f"### Exigences bloquantes {title} ({len(blocking)})", ""]
        for req in blocking[:_LISTED]:
            first = next((f for f in req.findings if f.outcome is Outcome.FAIL), None)
            detail = f" — {md(first.message)}" if first else ""
            lines.append(f"- **{md(req.id)}** {md(req.statement)}{detail} — correction : {md(correction(req))}")
        lines += _more(len(blocking))
    undecided = run.blocking_undecided
    if undecided:
        lines += ["", f"### Exigences bloquantes non décidées ({len(undecided)})", ""]
        for req in undecided[:_LISTED]:
            first = next(iter(req.findings), None)
            detail = f" — {md(first.message)}" if first else ""
            lines.append(f"- **{md(req.id)}** ({md(req.outcome.label)}) {md(req.statement)}{detail}")
        lines += _more(len(undecided))
    if advised:
        total = sum(n for _, n in advised)
        lines += [
            "",
            f"### Avertissements ({total}) — exigences PEUT, hors échecs : sans effet sur le verdict ni sur le code "
            "de sortie",
            "",
        ]
        for req, count in advised[:_LISTED]:
            first = next((f for f in req.findings if f.outcome is Outcome.ADVISORY), None)
            detail = f" — {md(first.message)}" if first else ""
            lines.append(f"- **{md(req.id)}** ({count}) {md(req.statement)}{detail}")
        lines += _more(len(advised))
    if reconciliation:
        lines += ["", f"### Échecs attendus ({len(reconciliation.met)}) — jamais comptés comme conformes", ""]
        lines += [
            f"- **{md(e.requirement)}**{' — ' + md(e.document) if e.document else ''} : {len(found)} constat(s) ; "
            f"{md(e.reason)} ({md(e.link)})"
            for e, found in reconciliation.met
        ]
        if reconciliation.stale:
            lines += [
                "",
                f"### Attendus qui ne se produisent plus ({len(reconciliation.stale)}) : à retirer du fichier",
                "",
            ]
            lines += [
                f"- **{md(e.requirement)}**{' — ' + md(e.document) if e.document else ''} : {md(e.reason)}"
                for e in reconciliation.stale
            ]
        if reconciliation.other_wave:
            lines += [
                "",
                f"### Attendus hors de la vague {run.wave} jugée ({len(reconciliation.other_wave)}) : sans effet",
                "",
            ]
            lines += [f"- **{md(e.requirement)}** : {md(e.reason)}" for e in reconciliation.other_wave]
        state = "acceptée" if reconciliation.accepted else "refusée"
        lines += ["", f"Exécution **{state}** au regard des échecs attendus."]
    errors = run.harness_errors
    if errors:
        lines += ["", f"### Erreurs du harnais ({len(errors)})", ""]
        lines += [
            f"- {md(s.name)} ({md(s.subject)}) — {md(s.error or 'erreur dans une étape')}" for s in errors[:_LISTED]
        ]
        lines += _more(len(errors))
    lines += _official(context.official(run))
    lines += ["", "Rapport détaillé : `index.html` ; données : `report.json`.", ""]
    return "\n".join(lines)


def _official(view: OfficialView) -> list[str]:
    """The compact table of the view by official id (the proofs: index.html, report.json, rem-preuves.xlsx)."""
    if not view.entries:
        return []
    lines = [
        "",
        f"### Par identifiant officiel ({len(view.entries)})",
        "",
        "| Identifiant officiel | Référentiel | Résultat | Exigences du catalogue | Scénarios | Preuves |",
        "|---|---|---|---|---:|---:|",
    ]
    for entry in view.entries[:_OFFICIAL_LISTED]:
        scenarios = [group for _, _, group in view.scenarios(entry)]
        requirements = ", ".join(f"{c.requirement.id} ({c.requirement.outcome.label})" for c in entry.covering)
        lines.append(
            f"| {md(entry.id)} | {md(entry.referential)} ({md(entry.status_label)}) | "
            f"{OUTCOME_SYMBOLS[entry.outcome]} {md(entry.label)} | {md(requirements)} | {len(scenarios)} | "
            f"{sum(len(g.proofs) for g in scenarios)} |"
        )
    if len(view.entries) > _OFFICIAL_LISTED:
        lines.append(f"| … et {len(view.entries) - _OFFICIAL_LISTED} autres (voir index.html) | | | | | |")
    return lines
