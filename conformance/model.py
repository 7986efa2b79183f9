"""The one result model shared by checks, BDD steps, the CLI and every report.

A check yields :class:`Finding` objects; a scenario run gathers them step by step
(:class:`StepResult`, :class:`ScenarioResult`); a run rolls them up per requirement
(:class:`RequirementResult`) inside a :class:`RunResult`. Everything serialises to plain
dicts so that pytest-xdist workers can ship results to the controller and
``report.json`` stays the canonical form. A run's verdict gives the command's exit code
(:func:`exit_code`).

A leaf of the library: it imports nothing from the harness, and every layer reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar

# 1.1: the outcome « avertissement » (``advisory``), a broken PEUT requirement, and its count in ``counts``.
# 1.2: ``referentiel``, the Ségur wave judged and the referential (name, version, status, source) it stands for;
# the ``official`` section, the run by official requirement id (report/official.py).
SCHEMA_VERSION = "1.2"

# Exit codes of the command line, as Inferno's (the README lists them).
EXIT_OK, EXIT_USAGE, EXIT_NOT_CONFORMANT, EXIT_HARNESS, EXIT_INTERRUPTED = 0, 2, 3, 4, 130

T_co = TypeVar("T_co", covariant=True)


class HarnessError(RuntimeError):
    """The harness could not run the plan (not a finding about the DUI)."""


class Replayable(Protocol[T_co]):
    """A run's scenarios, a requirement's findings or scenario names: read again by every writer. A small
    run holds lists; a large one holds spools, read back from a temporary file on each pass
    (:mod:`~dui_conformance.results`)."""

    def __iter__(self) -> Iterator[T_co]: ...

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> T_co: ...


class Outcome(StrEnum):
    """Result vocabulary borrowed from Inferno (pass/fail/skip/omit/error)."""

    PASS = "pass"  # the rule was checked and holds
    FAIL = "fail"  # the rule was checked and is broken
    ADVISORY = "advisory"  # a PEUT rule was checked and is broken: advice, never a failure (see graded)
    SKIP = "skip"  # not enough data to decide
    OMIT = "omit"  # the rule does not apply to this input
    ERROR = "error"  # the harness itself failed
    NOT_RUN = "not_run"  # requirement level only: no scenario evaluated it

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Outcome.PASS: "conforme",
    Outcome.FAIL: "non conforme",
    Outcome.ADVISORY: "avertissement",
    Outcome.SKIP: "données insuffisantes",
    Outcome.OMIT: "non applicable",
    Outcome.ERROR: "erreur du harnais",
    Outcome.NOT_RUN: "non évaluée",
}

_BY_VALUE = {o.value: o for o in Outcome}  # from_dict: a dict lookup, not Enum.__call__ (large spooled runs)

# Higher wins when outcomes are combined: one failure outweighs any number of passes; a broken PEUT, known,
# outweighs an undecided check as a failure does, and never a failure.
_PRIORITY = {
    Outcome.NOT_RUN: 0,
    Outcome.OMIT: 1,
    Outcome.PASS: 2,
    Outcome.SKIP: 3,
    Outcome.ADVISORY: 4,
    Outcome.FAIL: 5,
    Outcome.ERROR: 6,
}


def worst(outcomes: Iterable[Outcome], default: Outcome = Outcome.NOT_RUN) -> Outcome:
    """Combine outcomes: the most severe one wins."""
    return max(outcomes, key=_PRIORITY.__getitem__, default=default)


def requirement_outcome(outcomes: list[Outcome]) -> Outcome:
    """Worst outcome, except that « non évaluée » (a scenario stopped before the step that judges the
    requirement) outranks pass and not-applicable: it never counts as passing."""
    outcome = worst(outcomes)
    if Outcome.NOT_RUN in outcomes and outcome in (Outcome.PASS, Outcome.OMIT):
        return Outcome.NOT_RUN
    return outcome


@dataclass(frozen=True)
class Location:
    """Where a finding points: a file position, or an exchange recorded by a mock."""

    file: str | None = None
    xpath: str | None = None
    line: int | None = None
    exchange: str | None = None

    def describe(self) -> str:
        parts = [self.file or ""]
        if self.line:
            parts.append(f"ligne {self.line}")
        if self.xpath:
            parts.append(self.xpath)
        if self.exchange:
            parts.append(f"échange {self.exchange}")
        return " — ".join(p for p in parts if p)


@dataclass(frozen=True)
class Finding:
    """One observation about one requirement."""

    requirement: str
    outcome: Outcome
    message: str
    location: Location = field(default_factory=Location)
    evidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        return {
            "requirement": self.requirement,
            "outcome": self.outcome.value,
            "message": self.message,
            "file": loc.file,
            "xpath": loc.xpath,
            "line": loc.line,
            "exchange": loc.exchange,
            "evidence": self.evidence,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            requirement=data["requirement"],
            outcome=_BY_VALUE.get(data["outcome"]) or Outcome(data["outcome"]),
            message=data["message"],
            location=Location(data.get("file"), data.get("xpath"), data.get("line"), data.get("exchange")),
            evidence=data.get("evidence"),
        )


def passed(requirement: str, message: str, location: Location = Location(), evidence: str | None = None) -> Finding:
    return Finding(requirement, Outcome.PASS, message, location, evidence)


def failed(requirement: str, message: str, location: Location = Location(), evidence: str | None = None) -> Finding:
    return Finding(requirement, Outcome.FAIL, message, location, evidence)


def skipped(requirement: str, message: str, location: Location = Location(), evidence: str | None = None) -> Finding:
    return Finding(requirement, Outcome.SKIP, message, location, evidence)


def omitted(requirement: str, message: str, location: Location = Location(), evidence: str | None = None) -> Finding:
    return Finding(requirement, Outcome.OMIT, message, location, evidence)


def errored(requirement: str, message: str, location: Location = Location(), evidence: str | None = None) -> Finding:
    return Finding(requirement, Outcome.ERROR, message, location, evidence)


ADVISORY_LEVEL = "PEUT"  # the catalogue level whose breach is advice (requirements/catalogue.py: LEVELS)


def graded(finding: Finding, level: str) -> Finding:
    """The finding as its requirement's level makes it: a PEUT is advice, so its breach is an avertissement, never
    a failure (it can neither fail a step, nor block, nor change the verdict or the exit code). The one place an
    outcome follows the level: checks say what they found, the catalogue says what it weighs
    (:meth:`~dui_conformance.requirements.Catalogue.grade`)."""
    if finding.outcome is Outcome.FAIL and level == ADVISORY_LEVEL:
        return Finding(finding.requirement, Outcome.ADVISORY, finding.message, finding.location, finding.evidence)
    return finding


def outcome_of(findings: Iterable[Finding]) -> Outcome:
    return worst(f.outcome for f in findings)


@dataclass
class StepResult:
    keyword: str
    text: str
    outcome: Outcome
    duration: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every finding only for them to be replaced (costly on large runs).
        return {
            "keyword": self.keyword,
            "text": self.text,
            "outcome": self.outcome.value,
            "duration": self.duration,
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepResult:
        return cls(
            keyword=data["keyword"],
            text=data["text"],
            outcome=_BY_VALUE.get(data["outcome"]) or Outcome(data["outcome"]),
            duration=data.get("duration", 0.0),
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            error=data.get("error"),
        )


@dataclass
class ScenarioResult:
    """One scenario run on one input (a document, or a live session)."""

    nodeid: str
    feature: str
    feature_file: str
    name: str
    tags: list[str]
    requirements: list[str]
    subject: str  # the document path or "session directe"
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None
    duration: float = 0.0

    @property
    def findings(self) -> list[Finding]:
        return [f for step in self.steps for f in step.findings]

    @property
    def outcome(self) -> Outcome:
        """Error if the harness broke; else the worst finding; no finding at all is a skip."""
        if self.error:
            return Outcome.ERROR
        return outcome_of(self.findings) if self.findings else Outcome.SKIP

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "feature": self.feature,
            "feature_file": self.feature_file,
            "name": self.name,
            "tags": self.tags,
            "requirements": self.requirements,
            "subject": self.subject,
            "outcome": self.outcome.value,
            "error": self.error,
            "duration": self.duration,
            "steps": [s.to_dict() for s in self.steps],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScenarioResult:
        return cls(
            nodeid=data["nodeid"],
            feature=data["feature"],
            feature_file=data["feature_file"],
            name=data["name"],
            tags=list(data["tags"]),
            requirements=list(data["requirements"]),
            subject=data["subject"],
            steps=[StepResult.from_dict(s) for s in data["steps"]],
            error=data.get("error"),
            duration=data.get("duration", 0.0),
        )


@dataclass
class RequirementResult:
    id: str
    service: str
    statement: str
    level: str
    source: str
    blocking: bool
    outcome: Outcome
    scenarios: Replayable[str]
    findings: Replayable[Finding]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "statement": self.statement,
            "level": self.level,
            "source": self.source,
            "blocking": self.blocking,
            "outcome": self.outcome.value,
            "scenarios": list(self.scenarios),
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequirementResult:
        return cls(
            id=data["id"],
            service=data["service"],
            statement=data["statement"],
            level=data["level"],
            source=data["source"],
            blocking=bool(data["blocking"]),
            outcome=_BY_VALUE.get(data["outcome"]) or Outcome(data["outcome"]),
            scenarios=list(data["scenarios"]),
            findings=[Finding.from_dict(f) for f in data["findings"]],
        )


@dataclass
class RunResult:
    """Everything a report needs, in one place."""

    run_id: str
    mode: str
    profile: str
    environment: str
    started: str
    finished: str
    inputs: list[str]
    scenarios: Replayable[ScenarioResult]
    requirements: list[RequirementResult]
    tool: dict[str, str]
    artefacts: list[dict[str, str]] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False  # Ctrl-C: the report holds only the documents finished before it
    wave: int = 1  # the Ségur wave (vague) whose requirements the run judged

    @property
    def blocking_failures(self) -> list[RequirementResult]:
        return blocking_failures(self.requirements)

    @property
    def harness_errors(self) -> list[ScenarioResult]:
        logged = getattr(self.scenarios, "errors", None)  # a ScenarioLog (results/) keeps them aside
        if logged is not None:
            return list(logged)
        return [s for s in self.scenarios if s.outcome is Outcome.ERROR]

    @property
    def blocking_undecided(self) -> list[RequirementResult]:
        """Blocking requirements the run should have decided and did not (données insuffisantes, non évaluée)."""
        return blocking_undecided(self.requirements)

    @property
    def evaluated_service(self) -> bool:
        """Whether some blocking requirement of a service socle (not GEN) was decided.

        GEN only says that the inputs could be read; a run must also judge a service. A run on HL7 v2
        messages only decides INS requirements (the DMP ones are « non applicable »: no document of
        their kind) and can be conforme; a run on an empty folder, or restricted by ``--exigence`` to
        GEN, decides none and is never conforme.
        """
        return evaluated_service(self.requirements)

    @property
    def verdict(self) -> str:
        """See :func:`verdict_of`."""
        return verdict_of(self.requirements, bool(self.harness_errors), self.interrupted)

    def counts(self) -> dict[str, int]:
        counts = {o.value: 0 for o in Outcome}
        for req in self.requirements:
            counts[req.outcome.value] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "mode": self.mode,
            "profile": self.profile,
            "environment": self.environment,
            "referentiel": {"vague": self.wave},  # the report writers add what the wave's referential is
            "started": self.started,
            "finished": self.finished,
            "verdict": self.verdict,
            "counts": self.counts(),
            "tool": self.tool,
            "inputs": self.inputs,
            "artefacts": self.artefacts,
            "requirements": [r.to_dict() for r in self.requirements],
            "scenarios": [s.to_dict() for s in self.scenarios],
            "exchanges": self.exchanges,
            "interrupted": self.interrupted,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        """Inverse of :meth:`to_dict`; the derived keys (verdict, counts) are recomputed, not read."""
        return cls(
            run_id=data["run_id"],
            mode=data["mode"],
            profile=data["profile"],
            environment=data["environment"],
            started=data["started"],
            finished=data["finished"],
            inputs=list(data["inputs"]),
            scenarios=[ScenarioResult.from_dict(s) for s in data["scenarios"]],
            requirements=[RequirementResult.from_dict(r) for r in data["requirements"]],
            tool=dict(data["tool"]),
            artefacts=list(data.get("artefacts", [])),
            exchanges=list(data.get("exchanges", [])),
            interrupted=bool(data.get("interrupted", False)),
            wave=data.get("referentiel", {}).get("vague", 1),  # before 1.2: vague 1, the only one judged then
        )


def blocking_failures(requirements: Iterable[RequirementResult]) -> list[RequirementResult]:
    return [r for r in requirements if r.blocking and r.outcome is Outcome.FAIL]


def blocking_undecided(requirements: Iterable[RequirementResult]) -> list[RequirementResult]:
    return [r for r in requirements if r.blocking and r.outcome in (Outcome.SKIP, Outcome.NOT_RUN)]


def evaluated_service(requirements: Iterable[RequirementResult]) -> bool:
    return any(r.blocking and r.service != "GEN" and r.outcome in (Outcome.PASS, Outcome.FAIL) for r in requirements)


NOT_JUDGED = "non concluant"  # the verdict of a run that judged no service (see verdict_of)


def verdict_of(
    requirements: list[RequirementResult], harness_errors: bool, interrupted: bool, unjudged: str = NOT_JUDGED
) -> str:
    """interrompu > erreur (the harness broke) > non conforme (a blocking requirement fails) > non concluant
    (a blocking requirement undecided) > ``unjudged`` (no blocking requirement of a service socle decided)
    > conforme. Avertissements (a PEUT found broken) never count.

    The one rule for a run and for a service tile of the readiness report (``requirements`` restricted to the
    service): a run that judged no service is *non concluant*; a service the run did not judge is *non couvert*
    (``unjudged``), never *non concluant* under a run that is *conforme*."""
    if interrupted:
        return "interrompu"
    if harness_errors:
        return "erreur"
    if blocking_failures(requirements):
        return "non conforme"
    if blocking_undecided(requirements):
        return "non concluant"
    if not evaluated_service(requirements):
        return unjudged
    return "conforme"


def exit_code(run: RunResult) -> int:
    """0 conforme, 3 non conforme or non concluant, 4 harness error, 130 interrupted."""
    if run.interrupted:
        return EXIT_INTERRUPTED
    if run.harness_errors:
        return EXIT_HARNESS
    return EXIT_OK if run.verdict == "conforme" else EXIT_NOT_CONFORMANT
