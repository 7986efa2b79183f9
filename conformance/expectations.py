"""Expected results (``--attendus FICHIER``), as the OpenID conformance suite keeps them.

A vendor lists known failures, each with a reason and a link (a disputed rule, a fix
planned for the next release). The run then fails only on a failure nobody expected, or on
an expected one that no longer occurs, so the file cannot silently outlive its reasons.
The report shows expected failures apart; they never count as passing. An expected failure on a requirement
the run's Ségur wave does not judge (``--vague``) can neither occur nor stop occurring: it is set apart, with no
effect, so that one file serves the runs of both waves.

File format (TOML)::

    [[attendu]]
    exigence = "DMP-24"
    raison = "Code de document contesté auprès de l'ANS"
    lien = "https://suivi.example/ticket/42"
    document = "exports/dlu-1.xml"   # facultatif : ce document seulement (fin du chemin)
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Any

from .model import EXIT_NOT_CONFORMANT, EXIT_OK, Finding, Outcome, RequirementResult, RunResult, exit_code, worst
from .requirements.catalogue import Catalogue, run_catalogue


class ExpectationsError(ValueError):
    """The expected-results file is unreadable or incomplete (a usage error)."""


@dataclass(frozen=True)
class Expectation:
    requirement: str
    reason: str
    link: str
    document: str | None = None

    def matches(self, finding: Finding) -> bool:
        if finding.requirement != self.requirement or finding.outcome is not Outcome.FAIL:
            return False
        if self.document is None:
            return True
        path = PurePath(finding.location.file or "")
        wanted = PurePath(self.document)
        return path == wanted or path.parts[-len(wanted.parts) :] == wanted.parts


def load_expectations(path: str | Path, known: set[str] | None = None) -> list[Expectation]:
    """Read the file; every problem is reported with its entry number, none is skipped."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ExpectationsError(f"{path} : fichier d'échecs attendus illisible ({exc}).") from exc
    entries = data.get("attendu", [])
    if not isinstance(entries, list):
        raise ExpectationsError(f"{path} : « attendu » doit être une liste de tables [[attendu]].")
    out, problems = [], []
    for n, entry in enumerate(entries, start=1):
        where = f"{path} : attendu n° {n}"
        if not isinstance(entry, dict):
            problems.append(f"{where} : table attendue")
            continue
        values: dict[str, Any] = {key: entry.get(key) for key in ("exigence", "raison", "lien", "document")}
        for key in ("exigence", "raison", "lien"):
            if not isinstance(values[key], str) or not values[key].strip():
                problems.append(f"{where} : « {key} » manquant ou vide")
        if values["document"] is not None and not isinstance(values["document"], str):
            problems.append(f"{where} : « document » doit être un chemin")
        unknown = set(entry) - set(values)
        if unknown:
            problems.append(f"{where} : clé(s) inconnue(s) {sorted(unknown)}")
        if known is not None and isinstance(values["exigence"], str) and values["exigence"] not in known:
            problems.append(f"{where} : exigence {values['exigence']} absente du catalogue")
        if not any(p.startswith(where + " ") for p in problems):
            out.append(Expectation(values["exigence"], values["raison"], values["lien"], values["document"]))
    if problems:
        raise ExpectationsError("\n".join(problems))
    return out


@dataclass(frozen=True)
class Reconciliation:
    """A run read against its expected results."""

    met: list[tuple[Expectation, list[Finding]]]  # expected failures that occurred, with their findings
    stale: list[Expectation]  # expected failures that no longer occur
    unexpected: list[RequirementResult]  # blocking failures with at least one finding nobody expected
    gated: RunResult  # the run with expected failures lifted, judged by the runner's own verdict
    other_wave: list[Expectation]  # on a requirement the run's wave does not judge: neither met nor stale

    @property
    def exit_code(self) -> int:
        code = exit_code(self.gated)
        return EXIT_NOT_CONFORMANT if code == EXIT_OK and self.stale else code

    @property
    def accepted(self) -> bool:
        return self.exit_code == EXIT_OK


class _Unexpected:
    """A requirement's findings that no expectation matches, re-read from its findings (spooled on a large
    run) each time rather than copied."""

    def __init__(self, findings: Iterable[Finding], expectations: list[Expectation]):
        self._findings, self._expectations = findings, expectations

    def __iter__(self) -> Iterator[Finding]:
        return (f for f in self._findings if not any(e.matches(f) for e in self._expectations))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __getitem__(self, index: int) -> Finding:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, _Unexpected)) else NotImplemented


def reconcile(run: RunResult, expectations: list[Expectation], catalogue: Catalogue | None = None) -> Reconciliation:
    """One pass over the run's findings: the ones each expectation matches (kept: expected failures), and
    per requirement the outcome without them. ``catalogue``: the run's (the built-in one when absent), which says
    the requirements of another wave than the run's."""
    judged = (catalogue if catalogue is not None else run_catalogue()).in_wave(run.wave)
    other_wave = [e for e in expectations if not judged.judged([e.requirement])]
    expectations = [e for e in expectations if e not in other_wave]
    found: list[list[Finding]] = [[] for _ in expectations]
    lifted = []
    for req in run.requirements:
        kept: set[Outcome] = set()
        lifted_any = False
        for f in req.findings:
            matched = False
            for n, e in enumerate(expectations):
                if e.matches(f):
                    found[n].append(f)
                    matched = True
            if matched:
                lifted_any = True
            else:
                kept.add(f.outcome)
        if not lifted_any:
            lifted.append(req)
        else:
            lifted.append(
                replace(req, findings=_Unexpected(req.findings, expectations), outcome=worst(kept, Outcome.PASS))
            )
    gated = replace(run, requirements=lifted)
    met = list(zip(expectations, found, strict=False))
    return Reconciliation(
        met=[(e, hits) for e, hits in met if hits],
        stale=[e for e, hits in met if not hits],
        unexpected=gated.blocking_failures,
        gated=gated,
        other_wave=other_wave,
    )
