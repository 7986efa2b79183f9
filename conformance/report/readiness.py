"""What the first screen of the readiness report says, computed once for HTML and Markdown.

Verdicts per profile come from the run's own roll-up: the chosen profile's requirements are
the run's; for the other two, :meth:`Requirement.blocks` says again what blocks, and every
verdict is :attr:`RunResult.verdict`'s, so blocking is never decided here. A service is *couvert* only when the catalogue has requirements for it
and the run evaluated at least one of them; otherwise its tile says *non couvert*, never
*conforme*.
"""

from __future__ import annotations

import os
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

from ..model import Finding, Outcome, RequirementResult, RunResult, ScenarioResult, skipped, worst
from ..plugin import ALL_KINDS, LIVE_SUBJECT  # importing it also registers every input kind (and label)
from ..requirements import Catalogue, load_catalogue
from ..requirements.catalogue import PROFILES
from ..settings import LIVE, OFFLINE
from .labels import service_label, service_order

# The tiles of the first screen: the services socles of the Ségur wave, INS first.
SOCLE_SERVICES = ("INS", "DMP", "MSS", "PSC", "EPRESCRIPTION")
UNDETERMINED = "indéterminé"  # another profile's verdict when the run's catalogue is not at hand
NOT_COVERED = "non couvert"
_EVALUATED = frozenset(Outcome) - {Outcome.NOT_RUN, Outcome.OMIT}
_BAD = (Outcome.FAIL, Outcome.ERROR)


@dataclass(frozen=True)
class Tile:
    code: str
    label: str
    covered: bool
    reason: str  # why not covered, or how much was evaluated
    verdicts: dict[str, str]  # profile → verdict (or "non couvert")
    counts: dict[str, int]  # outcome value → requirements


@dataclass(frozen=True)
class DocumentRow:
    subject: str
    kind: str
    outcome: Outcome
    cells: dict[str, dict[str, int]]  # service → outcome value → findings
    failures: list[Finding]


@dataclass(frozen=True)
class Readiness:
    profile: str
    verdicts: dict[str, str]  # profile → whole-run verdict
    tiles: list[Tile]
    services: list[str]  # services of the catalogue, in catalogue order (document view columns)
    blocking: dict[str, list[str]]  # requirement id → profiles where it blocks (from the roll-ups)
    documents: list[DocumentRow]
    failures_by_kind: list[tuple[str, int, int]]  # kind, failing documents, documents


def requirement_services(run: RunResult) -> dict[str, str]:
    return {r.id: r.service for r in run.requirements}


def profile_runs(run: RunResult, catalogue: Catalogue | None = None) -> dict[str, RunResult | None]:
    """One RunResult per profile; ``None`` where the catalogue does not know the run's requirements.

    :func:`~dui_conformance.runner.roll_up` decides each requirement's outcome from the scenarios
    alone and its blocking from :meth:`Requirement.blocks` for the profile: so another profile keeps
    the run's outcomes and findings and asks the catalogue again what blocks (a test checks that this
    equals rolling the scenarios up again for that profile). The one exception is the official
    referential, mandatory in homologation only (:func:`_as_in`).
    """
    cat = catalogue if catalogue is not None else load_catalogue()
    known = all(r.id in cat for r in run.requirements)
    evaluated = {rid for s in run.scenarios for rid in s.requirements}  # a scenario of the run verified it
    runs: dict[str, RunResult | None] = {}
    for profile in PROFILES:
        if profile == run.profile:
            runs[profile] = run
        elif known:
            runs[profile] = replace(run, profile=profile, requirements=[
                _as_in(profile, replace(r, blocking=cat[r.id].blocks(profile)), cat[r.id], evaluated)
                for r in run.requirements])
        else:
            runs[profile] = None
    return runs


def _as_in(profile: str, result: RequirementResult, requirement, evaluated: set[str]) -> RequirementResult:
    """The one outcome that depends on the profile: homologation makes the official referential mandatory,
    so a requirement it evaluates, whose scenarios ran and left it « non applicable » (no referential
    given), would have been « données insuffisantes » there, which blocks."""
    if (profile != "homologation" or not requirement.needs_referential or result.outcome is not Outcome.OMIT
            or result.id not in evaluated):
        return result
    return replace(result, outcome=Outcome.SKIP, findings=[skipped(
        result.id, "Référentiel officiel non fourni (--referentiel-cda) : obligatoire en homologation.")])


def _service_run(run: RunResult, service: str, services: dict[str, str]) -> RunResult:
    """The same run restricted to one service's requirements and the scenarios that verify them."""
    return replace(
        run,
        requirements=[r for r in run.requirements if r.service == service],
        scenarios=[s for s in run.scenarios if any(services.get(rid) == service for rid in s.requirements)],
    )


def _tile(code: str, chosen: RunResult, runs: dict[str, RunResult | None], services: dict[str, str]) -> Tile:
    own = [r for r in chosen.requirements if r.service == code]
    evaluated = [r for r in own if r.outcome in _EVALUATED]
    counts = Counter(r.outcome.value for r in own)
    if not own:
        reason = "aucune exigence de ce service dans le catalogue de l'outil"
    elif not evaluated:
        reason = f"aucune des {len(own)} exigences du catalogue n'a été évaluée dans cette exécution"
    else:
        reason = f"{len(evaluated)} exigence(s) évaluée(s) sur {len(own)}"
    verdicts = {}
    for profile, prun in runs.items():
        if not evaluated:
            verdicts[profile] = NOT_COVERED
        elif prun is None:
            verdicts[profile] = UNDETERMINED
        else:
            verdicts[profile] = _service_run(prun, code, services).verdict
    return Tile(code, service_label(code), bool(evaluated), reason, verdicts,
                {o.value: counts.get(o.value, 0) for o in Outcome})


def _kind(scenarios: list[ScenarioResult]) -> str:
    """The input kind a document was recognised as: the kind tag its scenarios share.

    Scenario tags are requirement ids, the phase (``hors-ligne``/``direct``), ``tout`` or the input
    kinds a scenario applies to (``cda``, ``hl7v2``…, see :mod:`dui_conformance.plugin`).
    """
    generic = {OFFLINE, LIVE, ALL_KINDS}
    tags = Counter(t for s in scenarios for t in s.tags if t not in generic and t not in s.requirements)
    if tags:
        return tags.most_common(1)[0][0]
    return LIVE if scenarios and scenarios[0].subject == LIVE_SUBJECT else "autre"


def document_rows(run: RunResult) -> list[DocumentRow]:
    """One row per input document (and one for the live session), failures first."""
    services = requirement_services(run)
    by_subject: dict[str, list[ScenarioResult]] = {}
    for scenario in run.scenarios:
        by_subject.setdefault(scenario.subject, []).append(scenario)
    rows = []
    for subject, scenarios in by_subject.items():
        findings = list(dict.fromkeys(f for s in scenarios for f in s.findings))
        cells: dict[str, Counter] = {}
        for f in findings:
            cells.setdefault(services.get(f.requirement, f.requirement.split("-")[0]), Counter())[f.outcome.value] += 1
        outcomes = [f.outcome for f in findings] + [Outcome.ERROR for s in scenarios if s.error]
        rows.append(DocumentRow(
            subject=subject,
            kind=_kind(scenarios),
            outcome=worst(outcomes, Outcome.SKIP),
            cells={k: dict(v) for k, v in cells.items()},
            failures=[f for f in findings if f.outcome in _BAD],
        ))
    order = {o: n for n, o in enumerate((Outcome.ERROR, Outcome.FAIL, Outcome.SKIP, Outcome.PASS, Outcome.OMIT, Outcome.NOT_RUN))}
    rows.sort(key=lambda r: (order[r.outcome], r.subject))
    return rows


@cache
def corrections() -> dict[str, str]:
    """Requirement id → the fix in one sentence (``corrections.toml``, data next to the catalogue)."""
    text = (resources.files(__package__) / "corrections.toml").read_text(encoding="utf-8")
    return {rid: str(entry["correction"]) for rid, entry in tomllib.loads(text).items()}


def correction(req: RequirementResult) -> str:
    return corrections().get(req.id) or f"Rendre le DUI conforme à l'énoncé : {req.statement}"


def assess(run: RunResult, catalogue: Catalogue | None = None) -> Readiness:
    runs = profile_runs(run, catalogue)
    services = requirement_services(run)
    rows = document_rows(run)
    kinds: dict[str, list[int]] = {}
    for row in rows:
        if row.subject != LIVE_SUBJECT:
            totals = kinds.setdefault(row.kind, [0, 0])
            totals[0] += row.outcome in _BAD
            totals[1] += 1
    per_profile = {p: {r.id for r in prun.requirements if r.blocking} for p, prun in runs.items() if prun is not None}
    return Readiness(
        profile=run.profile,
        verdicts={p: (r.verdict if r is not None else UNDETERMINED) for p, r in runs.items()},
        tiles=[_tile(code, run, runs, services) for code in SOCLE_SERVICES],
        services=service_order(set(services.values())),
        blocking={rid: [p for p, blocking in per_profile.items() if rid in blocking] for rid in services},
        documents=rows,
        failures_by_kind=sorted(((k, v[0], v[1]) for k, v in kinds.items()), key=lambda x: (-x[1], x[0])),
    )


def document_key(run: RunResult) -> dict[str, str]:
    """Subject → a name that does not depend on where the run took place (for comparing runs)."""
    docs = sorted({s.subject for s in run.scenarios if s.subject != LIVE_SUBJECT})
    if not docs:
        return {}
    if len(docs) == 1:
        return {docs[0]: os.path.basename(docs[0]) or docs[0]}
    try:
        root = os.path.commonpath([os.path.dirname(d) for d in docs])
    except ValueError:  # mixed absolute and relative paths
        return {d: d for d in docs}
    return {d: os.path.relpath(d, root) if root else d for d in docs}

