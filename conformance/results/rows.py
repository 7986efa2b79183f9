"""Per document, one compact row (the readiness document view), fed one scenario at a time."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ..model import Finding, Outcome, Replayable, ScenarioResult, worst
from ..settings import ALL_KINDS, LIVE, LIVE_SUBJECT, OFFLINE
from .spool import Spool, SpoolDir

_BAD = (Outcome.FAIL, Outcome.ERROR)
_GENERIC = frozenset((OFFLINE, LIVE, ALL_KINDS))  # tags every scenario of a phase bears: not a document kind
_VALUE = {o: o.value for o in Outcome}


@dataclass(frozen=True)
class DocumentRow:
    subject: str
    kind: str
    outcome: Outcome
    cells: dict[str, dict[str, int]]  # service → outcome value → findings
    failures: Replayable[Finding]


class SpooledFindings:
    """A finished row's failures: consecutive lines of the rows' spool, decoded when a writer shows them
    (every document of a large export may fail an advisory check: kept in memory, they would grow with it)."""

    __slots__ = ("_spool", "_offset", "_count")

    def __init__(self, spool: Spool[Finding], offset: int, count: int):
        self._spool, self._offset, self._count = spool, offset, count

    def __iter__(self) -> Iterator[Finding]:
        return (Finding.from_dict(json.loads(line)) for line in self._spool.lines_from(self._offset, self._count))

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> Finding:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, tuple, SpooledFindings)) and list(self) == list(other)


@dataclass
class _Row:
    kinds: Counter = field(default_factory=Counter)
    cells: dict[str, Counter] = field(default_factory=dict)
    outcomes: set[Outcome] = field(default_factory=set)
    failures: list[Finding] = field(default_factory=list)
    live: bool = False

    def close(self, subject: str) -> DocumentRow:
        return _document_row(subject, self.kinds, self.cells.items(), self.outcomes, self.live, list(self.failures))

    def freeze(self, shapes: dict, spool: Spool[Finding]) -> tuple:
        """The row as one tuple, its counts shared with every earlier row of the same shape (most documents
        of an export count alike) and its failures in ``spool``: a finished row costs a few pointers."""
        shape = (
            tuple(self.kinds.items()),
            tuple((k, tuple(v.items())) for k, v in self.cells.items()),
            frozenset(self.outcomes),
            self.live,
        )
        failures: Replayable[Finding] = ()
        if self.failures:
            offset = spool.size
            for f in self.failures:
                spool.append(f)
            failures = SpooledFindings(spool, offset, len(self.failures))
        return shapes.setdefault(shape, shape), failures

    @classmethod
    def thaw(cls, frozen: tuple) -> _Row:
        (kinds, cells, outcomes, live), failures = frozen
        return cls(Counter(dict(kinds)), {k: Counter(dict(v)) for k, v in cells}, set(outcomes), list(failures), live)

    @staticmethod
    def close_frozen(subject: str, frozen: tuple) -> DocumentRow:
        """What :meth:`close` gives of the row before it was frozen, its failures left in the spool."""
        (kinds, cells, outcomes, live), failures = frozen
        return _document_row(subject, Counter(dict(kinds)), cells, outcomes, live, failures or [])


def _document_row(
    subject: str,
    kinds: Counter,
    cells: Iterable,
    outcomes: Iterable[Outcome],
    live: bool,
    failures: Replayable[Finding],
) -> DocumentRow:
    """A row's kind is the input kind most of its scenarios bear; ``cells``: (service, outcome counts) pairs."""
    kind = kinds.most_common(1)[0][0] if kinds else (LIVE if live else "autre")
    return DocumentRow(subject, kind, worst(outcomes, Outcome.SKIP), {k: dict(v) for k, v in cells}, failures)


_ROW_ORDER = {  # the most severe first (model._PRIORITY)
    o: n
    for n, o in enumerate(
        (Outcome.ERROR, Outcome.FAIL, Outcome.ADVISORY, Outcome.SKIP, Outcome.PASS, Outcome.OMIT, Outcome.NOT_RUN)
    )
}


class DocumentRows:
    """One compact row per subject (the readiness document view), fed one scenario at a time.

    Findings are counted once per subject: the subject being fed keeps the set of its findings; with a
    spool ``directory`` (a large run, whose subjects arrive each in one piece) the set of a subject is
    dropped and its row frozen when the next one starts, and ``reopen`` gives a subject's scenarios back
    if it recurs."""

    def __init__(
        self,
        services: dict[str, str],
        directory: SpoolDir | None = None,
        reopen: Callable[[str], Iterable[ScenarioResult]] | None = None,
    ):
        self._services = services
        self._forget, self._reopen = directory is not None, reopen
        self._failures: Spool[Finding] = Spool(Finding.from_dict, directory)
        self._rows: dict[str, _Row | tuple] = {}  # a finished subject's row frozen (large runs)
        self._shapes: dict[tuple, tuple] = {}
        self._seen: dict[str, set[Finding]] = {}
        self.current: str | None = None

    def seen(self, subject: str) -> set[Finding]:
        """The findings already counted for ``subject`` (restored from the log when it recurs)."""
        found = self._seen.get(subject)
        if found is None:
            found = self._seen[subject] = set()
            if subject in self._rows and self._reopen is not None:  # a subject seen again after another one
                found.update(f for s in self._reopen(subject) for f in s.findings)
        return found

    def start(self, subject: str) -> None:
        if subject != self.current:
            if self._forget and self.current is not None:
                self._seen.pop(self.current, None)
                row = self._rows.get(self.current)
                if isinstance(row, _Row):
                    self._rows[self.current] = row.freeze(self._shapes, self._failures)
            self.current = subject

    def known(self, subject: str) -> bool:
        """Whether ``subject`` was fed before."""
        return subject in self._rows

    def add(self, scenario: ScenarioResult, new_in_subject: list[Finding]) -> None:
        row = self._rows.get(scenario.subject)
        if row is None:
            row = self._rows[scenario.subject] = _Row(live=scenario.subject == LIVE_SUBJECT)
        elif not isinstance(row, _Row):  # a subject met again after another one
            row = self._rows[scenario.subject] = _Row.thaw(row)
        row.kinds.update(t for t in scenario.tags if t not in _GENERIC and t not in scenario.requirements)
        if scenario.error:
            row.outcomes.add(Outcome.ERROR)
        for f in new_in_subject:
            outcome = f.outcome
            row.outcomes.add(outcome)
            service = self._services.get(f.requirement)
            if service is None:
                service = f.requirement.split("-")[0]
            cell = row.cells.get(service)
            if cell is None:
                cell = row.cells[service] = Counter()
            cell[_VALUE[outcome]] += 1
            if outcome in _BAD:
                row.failures.append(f)

    def feed(self, scenario: ScenarioResult) -> None:
        """Add a scenario whose findings are not yet counted for its subject (in-memory runs)."""
        self.start(scenario.subject)
        seen = self.seen(scenario.subject)
        new = []
        for f in scenario.findings:
            if f not in seen:
                seen.add(f)
                new.append(f)
        self.add(scenario, new)

    def rows(self) -> list[DocumentRow]:
        """Failures first, then by subject."""
        rows = [
            row.close(subject) if isinstance(row, _Row) else _Row.close_frozen(subject, row)
            for subject, row in self._rows.items()
        ]
        rows.sort(key=lambda r: (_ROW_ORDER[r.outcome], r.subject))
        return rows

    def subjects(self) -> list[str]:
        return list(self._rows)
