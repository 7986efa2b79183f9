"""A run's scenario log, with its feature groups, and what writers ask of a run's scenarios
(a :class:`ScenarioLog` answers without a pass, a plain list is walked)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..model import Outcome, ScenarioResult
from .rows import DocumentRow, DocumentRows
from .spool import Selection, Spool, SpoolDir


@dataclass
class FeatureGroup:
    """The scenarios of one feature in run order and what a JUnit suite says of them."""

    feature: str
    feature_file: str
    scenarios: Spool[ScenarioResult] | Selection[ScenarioResult]  # a spooled run: its lines in the log
    outcomes: Counter = field(default_factory=Counter)
    time: float = 0.0
    requirements: dict[str, None] = field(default_factory=dict)

    def add(self, scenario: ScenarioResult, line: str | None = None, outcome: Outcome | None = None) -> None:
        self.scenarios.append(scenario, line)
        self.outcomes[outcome or scenario.outcome] += 1
        self.time += scenario.duration
        self.requirements.update(dict.fromkeys(scenario.requirements))


def group_by_feature(scenarios: Iterable[ScenarioResult]) -> list[FeatureGroup]:
    """Grouped by feature in the order the run met them (JUnit suites, Cucumber features)."""
    if isinstance(scenarios, ScenarioLog):
        return scenarios.features()
    groups: dict[tuple[str, str], FeatureGroup] = {}
    for s in scenarios:
        key = (s.feature_file, s.feature)
        if key not in groups:
            groups[key] = FeatureGroup(s.feature, s.feature_file, Spool(ScenarioResult.from_dict))
        groups[key].add(s)
    return list(groups.values())


class ScenarioLog:
    """A run's scenario results (masked) in run order, re-iterable, with what writers need without a pass:
    the scenarios in harness error, the requirements some scenario verifies, per feature its scenarios
    and counts, per subject its document row."""

    def __init__(self, services: dict[str, str], directory: SpoolDir | None):
        self._dir = directory
        self._all: Spool[ScenarioResult] = Spool(ScenarioResult.from_dict, directory)
        self._features: dict[tuple[str, str], FeatureGroup] = {}
        self.errors: list[ScenarioResult] = []
        self.evaluated: set[str] = set()  # requirement ids a scenario of the run is tagged with
        self.rows = DocumentRows(services, directory, reopen=self.of_subject)

    @property
    def spooled(self) -> bool:
        return self._dir is not None

    def append(self, scenario: ScenarioResult, line: str | None, outcome: Outcome | None = None) -> None:
        """``outcome``: the scenario's, when the caller has it (a property that walks every finding)."""
        outcome = outcome or scenario.outcome
        self._all.append(scenario, line)
        key = (scenario.feature_file, scenario.feature)
        group = self._features.get(key)
        if group is None:
            group = self._features[key] = FeatureGroup(
                scenario.feature,
                scenario.feature_file,
                Spool(ScenarioResult.from_dict) if self._dir is None else Selection(self._all),
            )
        group.add(scenario, line, outcome)
        if outcome is Outcome.ERROR:
            self.errors.append(scenario)
        self.evaluated.update(scenario.requirements)

    def of_subject(self, subject: str) -> Iterator[ScenarioResult]:
        return (s for s in self._all if s.subject == subject)

    def features(self) -> list[FeatureGroup]:
        return list(self._features.values())

    def lines(self) -> Iterator[str]:
        return self._all.lines()

    def __iter__(self) -> Iterator[ScenarioResult]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def __bool__(self) -> bool:
        return bool(self._all)

    def __getitem__(self, index):
        return self._all[index]


def subjects(scenarios: Iterable[ScenarioResult]) -> list[str]:
    """The run's subjects in the order met, without a pass over a logged run."""
    if isinstance(scenarios, ScenarioLog):
        return scenarios.rows.subjects()
    return list(dict.fromkeys(s.subject for s in scenarios))


def harness_errors(scenarios: Iterable[ScenarioResult]) -> list[ScenarioResult]:
    if isinstance(scenarios, ScenarioLog):
        return list(scenarios.errors)
    return [s for s in scenarios if s.outcome is Outcome.ERROR]


def document_rows(scenarios: Iterable[ScenarioResult], services: dict[str, str]) -> list[DocumentRow]:
    """One row per input document (and one for the live session), failures first."""
    if isinstance(scenarios, ScenarioLog):
        return scenarios.rows.rows()
    rows = DocumentRows(services)
    for s in scenarios:
        rows.feed(s)
    return rows.rows()


def evaluated_requirements(scenarios: Iterable[ScenarioResult]) -> set[str]:
    if isinstance(scenarios, ScenarioLog):
        return set(scenarios.evaluated)
    return {rid for s in scenarios for rid in s.requirements}
