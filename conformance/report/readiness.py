"""What the first screen of the readiness report says, computed once for HTML and Markdown.

Verdicts per profile come from the run's own roll-up: the chosen profile's requirements are
the run's; for the other two, :meth:`Requirement.blocks` says again what blocks, and every
verdict is :attr:`RunResult.verdict`'s, so blocking is never decided here. A service is
*couvert* only when the catalogue has requirements for it and the run evaluated at least one of them; otherwise its tile
says *non couvert*, never *conforme*.
"""

from __future__ import annotations

import os
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

from .. import mss, xds  # noqa: F401 - register their input kinds (and labels), as the plan and plugin do
from ..model import Outcome, RequirementResult, RunResult, ScenarioResult, skipped, verdict_of
from ..requirements import Catalogue, load_catalogue
from ..requirements.catalogue import PROFILES
from ..results import DocumentRow, evaluated_requirements, harness_errors, subjects
from ..results import document_rows as _document_rows
from ..settings import LIVE_SUBJECT
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
    evaluated = evaluated_requirements(run.scenarios)  # a scenario of the run verified it
    runs: dict[str, RunResult | None] = {}
    for profile in PROFILES:
        if profile == run.profile:
            runs[profile] = run
        elif known:
            runs[profile] = replace(
                run,
                profile=profile,
                requirements=[
                    _as_in(profile, replace(r, blocking=cat[r.id].blocks(profile)), cat[r.id], evaluated)
                    for r in run.requirements
                ],
            )
        else:
            runs[profile] = None
    return runs


def _as_in(profile: str, result: RequirementResult, requirement, evaluated: set[str]) -> RequirementResult:
    """The one outcome that depends on the profile: homologation makes the official referential mandatory,
    so a requirement it evaluates, whose scenarios ran and left it « non applicable » (no referential
    given), would have been « données insuffisantes » there, which blocks."""
    if (
        profile != "homologation"
        or not requirement.needs_referential
        or result.outcome is not Outcome.OMIT
        or result.id not in evaluated
    ):
        return result
    return replace(
        result,
        outcome=Outcome.SKIP,
        findings=[
            skipped(result.id, "Référentiel officiel non fourni (--referentiel-cda) : obligatoire en homologation.")
        ],
    )


def _tile(
    code: str,
    chosen: RunResult,
    runs: dict[str, RunResult | None],
    errors: list[ScenarioResult],
    services: dict[str, str],
) -> Tile:
    own = [r for r in chosen.requirements if r.service == code]
    evaluated = [r for r in own if r.outcome in _EVALUATED]
    counts = Counter(r.outcome.value for r in own)
    if not own:
        reason = "aucune exigence de ce service dans le catalogue de l'outil"
    elif not evaluated:
        reason = f"aucune des {len(own)} exigences du catalogue n'a été évaluée dans cette exécution"
    else:
        reason = f"{len(evaluated)} exigence(s) évaluée(s) sur {len(own)}"
    # The run restricted to this service: its requirements, and the harness errors of the scenarios verifying it.
    broken = any(services.get(rid) == code for s in errors for rid in s.requirements)
    verdicts = {}
    for profile, prun in runs.items():
        if not evaluated:
            verdicts[profile] = NOT_COVERED
        elif prun is None:
            verdicts[profile] = UNDETERMINED
        else:  # the run's rule on the service's requirements; not judged in this profile: « non couvert »
            verdicts[profile] = verdict_of(
                [r for r in prun.requirements if r.service == code], broken, prun.interrupted, NOT_COVERED
            )
    return Tile(
        code, service_label(code), bool(evaluated), reason, verdicts, {o.value: counts.get(o.value, 0) for o in Outcome}
    )


def document_rows(run: RunResult) -> list[DocumentRow]:
    """One row per input document (and one for the live session), failures first; a run from ``execute``
    built them as its results came (:mod:`dui_conformance.results`).

    A row's kind is the input kind tag its scenarios share (scenario tags are requirement ids, the
    phase, ``tout`` or the input kinds a scenario applies to: ``cda``, ``hl7v2``…)."""
    return _document_rows(run.scenarios, requirement_services(run))


@cache
def corrections() -> dict[str, str]:
    """Requirement id → the fix in one sentence (``corrections.toml``, data next to the catalogue)."""
    text = (resources.files(__package__) / "corrections.toml").read_text(encoding="utf-8")
    return {rid: str(entry["correction"]) for rid, entry in tomllib.loads(text).items()}


def correction(req: RequirementResult) -> str:
    return corrections().get(req.id) or f"Rendre le DUI conforme à l'énoncé : {req.statement}"


def assess(run: RunResult, catalogue: Catalogue | None = None) -> Readiness:
    """From the run's requirements and summary (document rows, harness errors): one pass, no copy of the
    scenarios per profile or per service."""
    runs = profile_runs(run, catalogue)
    services = requirement_services(run)
    rows = document_rows(run)
    errors = harness_errors(run.scenarios)
    kinds: dict[str, list[int]] = {}
    for row in rows:
        if row.subject != LIVE_SUBJECT:
            totals = kinds.setdefault(row.kind, [0, 0])
            totals[0] += row.outcome in _BAD
            totals[1] += 1
    per_profile = {p: {r.id for r in prun.requirements if r.blocking} for p, prun in runs.items() if prun is not None}
    return Readiness(
        profile=run.profile,
        verdicts={
            p: (verdict_of(r.requirements, bool(errors), r.interrupted) if r is not None else UNDETERMINED)
            for p, r in runs.items()
        },
        tiles=[_tile(code, run, runs, errors, services) for code in SOCLE_SERVICES],
        services=service_order(set(services.values())),
        blocking={rid: [p for p, blocking in per_profile.items() if rid in blocking] for rid in services},
        documents=rows,
        failures_by_kind=sorted(((k, v[0], v[1]) for k, v in kinds.items()), key=lambda x: (-x[1], x[0])),
    )


def document_key(run: RunResult) -> dict[str, str]:
    """Subject → a name that does not depend on where the run took place (for comparing runs)."""
    docs = sorted(s for s in subjects(run.scenarios) if s != LIVE_SUBJECT)
    if not docs:
        return {}
    if len(docs) == 1:
        return {docs[0]: os.path.basename(docs[0]) or docs[0]}
    try:
        root = os.path.commonpath([os.path.dirname(d) for d in docs])
    except ValueError:  # mixed absolute and relative paths
        return {d: d for d in docs}
    return {d: os.path.relpath(d, root) if root else d for d in docs}
