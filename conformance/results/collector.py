"""The run's collector: masks, logs and rolls up scenario results as batches return (see the package doc)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..model import Finding, HarnessError, Outcome, RequirementResult, ScenarioResult, omitted, requirement_outcome
from ..redact import CleanTexts, may_hold_secrets, redact, redact_text
from ..requirements import Catalogue
from .log import ScenarioLog
from .spool import FindingSpool, SortedNames, Spool, SpoolDir, json_line, scenario_lines


@dataclass
class _Requirement:
    """What the roll-up keeps of one requirement while the run goes on: in memory, or spooled (each item
    with its JSON line)."""

    findings: FindingSpool | list[Finding]
    names: Spool[str] | set[str]
    outcomes: set[Outcome] = field(default_factory=set)
    tagged: bool = False

    def add_finding(self, finding: Finding, line: str | None) -> None:
        if isinstance(self.findings, list):
            self.findings.append(finding)
        else:
            self.findings.append(finding, line)

    def add_name(self, name: str, line: str | None) -> None:
        if isinstance(self.names, set):
            self.names.add(name)
        else:
            self.names.append(name, line)


class RunCollector:
    """Collects a run's scenario results: masks, logs and rolls them up as they come (see the module doc).

    ``spool``: keep them in a temporary directory rather than in memory (large runs). ``mask``: mask
    secrets on the way in (a run from :func:`~dui_conformance.runner.execute`); ``roll_up`` over
    results already built leaves them as they are."""

    def __init__(self, catalogue: Catalogue, spool: bool = False, mask: bool = True):
        self._catalogue = catalogue
        self._mask = mask
        self._clean = CleanTexts()
        self._dir = SpoolDir() if spool else None
        self.services = {req.id: req.service for req in catalogue}
        self.log = ScenarioLog(self.services, self._dir)
        self._reqs: dict[str, _Requirement] = {}
        self._elsewhere: set[Finding] = set()  # findings not located in their own subject's file

    def extend(self, scenarios: Iterable[ScenarioResult]) -> None:
        """Add results in run order; a batch goes in whole even if Ctrl-C comes meanwhile (consistent
        partial report), the interruption is raised after it."""
        with _deferred_interrupt():
            for scenario in scenarios:
                self.add(scenario)

    def _requirement(self, rid: str) -> _Requirement:
        acc = self._reqs.get(rid)
        if acc is None:
            if self._dir is None:
                acc = _Requirement([], set())
            else:
                acc = _Requirement(FindingSpool(self._dir), Spool(str, self._dir, encode=str))
            self._reqs[rid] = acc
        return acc

    def add(self, scenario: ScenarioResult) -> None:
        original = scenario.findings
        safe_scenario, masked, lines = scenario, original, None
        unmasked = not self._mask or self._clean.all_clean(_texts(scenario))
        if not unmasked:
            data = scenario.to_dict()
            if (safe := redact(data)) != data:
                safe_scenario = ScenarioResult.from_dict(safe)
                masked = safe_scenario.findings
                if self._dir is not None:
                    lines = json_line(safe), [json_line(f.to_dict()) for f in masked]
        outcome = safe_scenario.outcome
        if self._dir is not None and lines is None:
            lines = scenario_lines(scenario, outcome)
        subject = scenario.subject
        rows = self.log.rows
        rows.start(subject)
        seen = rows.seen(subject)
        new_in_subject = []
        for n, (f, safe_f) in enumerate(zip(original, masked, strict=False)):
            if f in seen:
                continue
            seen.add(f)
            new_in_subject.append(safe_f)
            if self._first_in_run(f, subject):
                acc = self._requirement(f.requirement)
                acc.add_finding(safe_f, None if lines is None else lines[1][n])
                acc.outcomes.add(f.outcome)
        rows.add(safe_scenario, new_in_subject)
        name = f"{scenario.name} — {scenario.subject}"
        if not unmasked and may_hold_secrets(name):
            name = redact_text(name)
        name_line = json_line(name) if self._dir is not None else None
        for rid in dict.fromkeys(scenario.requirements):
            acc = self._requirement(rid)
            acc.tagged = True
            acc.add_name(name, name_line)
            if scenario.error:
                acc.outcomes.add(Outcome.ERROR)
            elif not original:
                acc.outcomes.add(Outcome.SKIP)
        self.log.append(safe_scenario, lines[0] if lines is not None else None, outcome)

    def _first_in_run(self, f: Finding, subject: str) -> bool:
        """``f`` is new in its subject: whether it is new in the run too."""
        if f in self._elsewhere:
            return False
        where = f.location.file
        if where != subject:
            self._elsewhere.add(f)
            if where is not None and self.log.rows.known(where):  # located in an earlier subject's file
                return f not in self.log.rows.seen(where)
        return True

    def requirements(self, profile: str, scope: dict[str, str] | None = None) -> list[RequirementResult]:
        """Requirement outcome = worst of its findings, of harness errors and of silent runs in its scenarios;
        a requirement without scenario run is « non applicable » when ``scope`` says why the run does not
        concern it, « non évaluée » otherwise."""
        scope = scope or {}
        unknown = set(self._reqs) - set(self.services)
        if any(self._reqs[rid].findings for rid in unknown):
            raise HarnessError(
                "Constatations rattachées à des exigences absentes du catalogue : "
                f"{sorted(rid for rid in unknown if self._reqs[rid].findings)}"
            )
        results = []
        for req in self._catalogue:
            acc = self._reqs.get(req.id) or _Requirement([], set())
            outcomes = set(acc.outcomes)
            findings = acc.findings
            if acc.tagged and not outcomes:
                outcomes = {Outcome.OMIT}  # its scenarios ran, none of their findings concern it
            if not acc.tagged and not findings and req.id in scope:
                findings = [omitted(req.id, f"Non concernée par cette exécution : {scope[req.id]}.")]
                outcomes = {Outcome.OMIT}
            result = RequirementResult(
                id=req.id,
                service=req.service,
                statement=req.statement,
                level=req.level,
                source=req.source + (f" ({req.official_id})" if req.official_id else ""),
                blocking=req.blocks(profile),
                outcome=requirement_outcome(list(outcomes)),
                scenarios=[],
                findings=findings if isinstance(findings, list) else [],
            )
            if self._mask:  # the catalogue's text and the findings made here
                data = result.to_dict()
                if (safe := redact(data)) != data:
                    result = RequirementResult.from_dict(safe)
            result.scenarios = sorted(acc.names) if isinstance(acc.names, set) else SortedNames(acc.names)
            if not isinstance(findings, list):
                result.findings = findings
            results.append(result)
        return results

    def replace_findings(self, result: RequirementResult, findings: list[Finding]) -> None:
        """Give ``result`` other findings (run-level advice), masked and spooled like the others."""
        if self._mask:
            findings = [_masked(f) for f in findings]
        if self._dir is None:
            result.findings = findings
            return
        spool = FindingSpool(self._dir)
        for f in findings:
            spool.append(f)
        result.findings = spool


def _masked(f: Finding) -> Finding:
    data = f.to_dict()
    safe = redact(data)
    return f if safe == data else Finding.from_dict(safe)


def _texts(s: ScenarioResult) -> list[str | None]:
    """Every text of a scenario that masking reads (``to_dict``'s keys are fixed and hold no secret, its
    numbers and outcomes are left as they are)."""
    texts = [s.nodeid, s.feature, s.feature_file, s.name, s.subject, s.error, *s.tags, *s.requirements]
    for step in s.steps:
        texts += (step.keyword, step.text, step.error)
        for f in step.findings:
            loc = f.location
            texts += (f.requirement, f.message, loc.file, loc.xpath, loc.exchange, f.evidence)
    return texts


@contextmanager
def _deferred_interrupt() -> Iterator[None]:
    """Hold Ctrl-C until the block ends (main thread only; elsewhere the block runs as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[Any] = []
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, lambda *args: caught.append(args))
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt
