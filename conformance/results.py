"""A run's results on flat memory: collected as batches return, masked once, spooled, summarised.

:class:`RunCollector` takes scenario results one at a time (offline batches, then the live session),
masks their secrets once (:mod:`.report.redact`), appends them to a :class:`ScenarioLog` and rolls
them up per requirement as they come (:func:`~dui_conformance.runner.roll_up` is this collector run
over a list). A large run keeps each item as one JSON line in a private temporary directory
(deleted with the run, never next to the inputs); what stays in memory is a bounded summary: per
requirement its outcome accumulator, per document a compact row, per feature its counts, the
scenarios in harness error. Every :class:`Spool` is re-iterable, so a ``RunResult`` whose
``scenarios`` is a ``ScenarioLog`` and whose requirements' ``findings`` are spools keeps its shape
for every writer; small runs keep plain lists.

De-duplication is today's: each distinct finding once per requirement across the run. A finding
located in its own subject's file can only repeat within that subject, whose results arrive
together (one document per batch item): only the current subject's findings are held; a subject
seen again later, or a finding located in an earlier subject's file, is checked against the log.
"""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Generic, TypeVar

from .model import Finding, Outcome, RequirementResult, ScenarioResult, omitted, worst
from .execution.plan import ALL_KINDS
from .settings import LIVE, LIVE_SUBJECT, OFFLINE

T = TypeVar("T")
_BAD = (Outcome.FAIL, Outcome.ERROR)


def json_line(data: object) -> str:
    """One JSON line (the C encoder); lone surrogates from hostile input fall back to escapes."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True)
    return text + "\n"


class SpoolDir:
    """A private temporary directory, removed when the last spool using it is garbage collected."""

    OPEN_FILES = 4096  # two files per requirement and one per feature stay open while the run goes on

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="dui-conformance-resultats-"))
        self._count = 0
        weakref.finalize(self, shutil.rmtree, self.path, True)
        _allow_open_files(self.OPEN_FILES)

    def new_file(self) -> Path:
        self._count += 1
        return self.path / f"{self._count:05d}.jsonl"


def _allow_open_files(wanted: int) -> None:
    """Raise the soft limit on open files towards ``wanted`` where it is lower (macOS: 256 by default)."""
    try:
        import resource
    except ImportError:  # not POSIX: no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Spool(Generic[T]):
    """Items in the order appended, re-iterable; in memory, or one JSON line each in a file of ``directory``.

    ``lines()`` gives each item's JSON line (what ``report.json`` embeds), ``ascii`` says whether one of
    them needed the ASCII fallback of :func:`json_line`."""

    def __init__(self, decode: Callable[[Any], T], directory: SpoolDir | None = None,
                 encode: Callable[[T], Any] = lambda item: item.to_dict()):
        self._decode, self._encode, self._dir = decode, encode, directory
        self._items: list[T] | None = [] if directory is None else None
        self._path: Path | None = None
        self._out = None
        self._len = 0
        self.ascii = False

    def append(self, item: T, line: str | None = None) -> None:
        """Add ``item``; ``line``: its JSON line when the caller already made it."""
        self._len += 1
        if self._items is not None:
            self._items.append(item)
            return
        if self._out is None:
            assert self._dir is not None
            self._path = self._dir.new_file()
            self._out = self._path.open("w", encoding="utf-8")
        line = line if line is not None else json_line(self._encode(item))
        if not self.ascii and "\\ud" in line:
            self.ascii = is_fallback(line)
        self._out.write(line)

    def lines(self) -> Iterator[str]:
        if self._items is not None:
            yield from (json_line(self._encode(item)) for item in self._items)
            return
        if self._out is None:
            return
        self._out.flush()
        with self._path.open(encoding="utf-8") as lines:
            yield from lines

    def __iter__(self) -> Iterator[T]:
        if self._items is not None:
            return iter(self._items)
        return (self._decode(json.loads(line)) for line in self.lines())

    def dicts(self) -> Iterator[dict[str, Any]]:
        """Each item as its JSON data, not rebuilt (writers that work on data)."""
        if self._items is not None:
            return (self._encode(item) for item in self._items)
        return (data for chunk in _chunks(self.lines()) for data in decode_lines(chunk))

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __getitem__(self, index):
        if self._items is not None:
            return self._items[index]
        if isinstance(index, slice):
            return list(islice(self, index.start, index.stop, index.step))
        if index < 0:
            index += self._len
        try:
            return next(islice(self, index, None))
        except StopIteration:
            raise IndexError(index) from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, Spool)) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Spool({self._len} éléments{'' if self._items is not None else ', ' + str(self._path)})"


def decode_lines(lines: list[str]) -> list[Any]:
    """The data of JSON lines, decoded in one call (as one JSON array: the same values, less overhead)."""
    return json.loads("[" + ",".join(lines) + "]")


def _chunks(lines: Iterable[str], size: int = 256) -> Iterator[list[str]]:
    lines = iter(lines)
    while chunk := list(islice(lines, size)):
        yield chunk


def is_fallback(line: str) -> bool:
    """Whether :func:`json_line` escaped this line whole (its text holds a lone surrogate)."""
    return "\\ud" in line and line.isascii() and _has_lone_surrogate(json.loads(line))


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


class FindingSpool(Spool[Finding]):
    """A requirement's findings, with their outcomes counted on the way in (the console summary reads
    only the counts)."""

    def __init__(self, directory: SpoolDir | None):
        super().__init__(Finding.from_dict, directory)
        self.outcomes: Counter = Counter()

    def append(self, item: Finding, line: str | None = None) -> None:
        super().append(item, line)
        self.outcomes[item.outcome] += 1


def outcome_counts(findings: Iterable[Finding]) -> Counter:
    """Outcome → findings, without a pass over spooled ones."""
    return Counter(findings.outcomes) if isinstance(findings, FindingSpool) else Counter(f.outcome for f in findings)


class SortedNames:
    """A requirement's scenarios (« nom — sujet »), sorted and unique when read, spooled meanwhile.

    Made unique on their JSON lines before decoding (one line per distinct name: ``json_line`` is
    deterministic), so that counting them decodes nothing."""

    def __init__(self, spool: Spool[str]):
        self._spool = spool

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(decode_lines(list(set(self._spool.lines())))))

    def __len__(self) -> int:
        return len(set(self._spool.lines()))

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, SortedNames)) else NotImplemented


@dataclass(frozen=True)
class DocumentRow:
    subject: str
    kind: str
    outcome: Outcome
    cells: dict[str, dict[str, int]]  # service → outcome value → findings
    failures: list[Finding]


@dataclass
class _Row:
    kinds: Counter = field(default_factory=Counter)
    cells: dict[str, Counter] = field(default_factory=dict)
    outcomes: set[Outcome] = field(default_factory=set)
    failures: list[Finding] = field(default_factory=list)
    live: bool = False

    def close(self, subject: str) -> DocumentRow:
        kind = self.kinds.most_common(1)[0][0] if self.kinds else (LIVE if self.live else "autre")
        return DocumentRow(subject, kind, worst(self.outcomes, Outcome.SKIP),
                           {k: dict(v) for k, v in self.cells.items()}, list(self.failures))


_ROW_ORDER = {o: n for n, o in enumerate((Outcome.ERROR, Outcome.FAIL, Outcome.SKIP, Outcome.PASS, Outcome.OMIT,
                                          Outcome.NOT_RUN))}


class DocumentRows:
    """One compact row per subject (the readiness document view), fed one scenario at a time.

    Findings are counted once per subject: the subject being fed keeps the set of its findings;
    with ``forget`` the set of a subject is dropped when the next one starts (a large run, whose
    subjects arrive each in one piece), and ``reopen`` gives a subject's scenarios back if it recurs."""

    def __init__(self, services: dict[str, str], forget: bool = False,
                 reopen: Callable[[str], Iterable[ScenarioResult]] | None = None):
        self._services = services
        self._forget, self._reopen = forget, reopen
        self._rows: dict[str, _Row] = {}
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
            self.current = subject

    def known(self, subject: str) -> bool:
        """Whether ``subject`` was fed before."""
        return subject in self._rows

    def add(self, scenario: ScenarioResult, new_in_subject: list[Finding]) -> None:
        row = self._rows.get(scenario.subject)
        if row is None:
            row = self._rows[scenario.subject] = _Row(live=scenario.subject == LIVE_SUBJECT)
        generic = {OFFLINE, LIVE, ALL_KINDS}
        row.kinds.update(t for t in scenario.tags if t not in generic and t not in scenario.requirements)
        row.outcomes.update(f.outcome for f in new_in_subject)
        if scenario.error:
            row.outcomes.add(Outcome.ERROR)
        for f in new_in_subject:
            service = self._services.get(f.requirement, f.requirement.split("-")[0])
            row.cells.setdefault(service, Counter())[f.outcome.value] += 1
            if f.outcome in _BAD:
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
        rows = [row.close(subject) for subject, row in self._rows.items()]
        rows.sort(key=lambda r: (_ROW_ORDER[r.outcome], r.subject))
        return rows

    def subjects(self) -> list[str]:
        return list(self._rows)


@dataclass
class FeatureGroup:
    """The scenarios of one feature in run order and what a JUnit suite says of them."""

    feature: str
    feature_file: str
    scenarios: Spool[ScenarioResult]
    outcomes: Counter = field(default_factory=Counter)
    time: float = 0.0
    requirements: dict[str, None] = field(default_factory=dict)

    def add(self, scenario: ScenarioResult, line: str | None = None) -> None:
        self.scenarios.append(scenario, line)
        self.outcomes[scenario.outcome] += 1
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
        self.rows = DocumentRows(services, forget=directory is not None, reopen=self.of_subject)

    @property
    def spooled(self) -> bool:
        return self._dir is not None

    def append(self, scenario: ScenarioResult, line: str | None) -> None:
        self._all.append(scenario, line)
        key = (scenario.feature_file, scenario.feature)
        group = self._features.get(key)
        if group is None:
            group = self._features[key] = FeatureGroup(
                scenario.feature, scenario.feature_file, Spool(ScenarioResult.from_dict, self._dir))
        group.add(scenario, line)
        if scenario.outcome is Outcome.ERROR:
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


@dataclass
class _Requirement:
    """What the roll-up keeps of one requirement while the run goes on."""

    findings: Spool[Finding] | list[Finding]
    names: Spool[str] | set[str]
    outcomes: set[Outcome] = field(default_factory=set)
    tagged: bool = False


class RunCollector:
    """Collects a run's scenario results: masks, logs and rolls them up as they come (see the module doc).

    ``spool``: keep them in a temporary directory rather than in memory (large runs). ``mask``: mask
    secrets on the way in (a run from :func:`~dui_conformance.runner.execute`); ``roll_up`` over
    results already built leaves them as they are."""

    def __init__(self, catalogue, spool: bool = False, mask: bool = True):
        from .report.redact import may_hold_secrets, redact, redact_text  # here: report/ imports this module

        self._catalogue = catalogue
        self._redact = redact if mask else None
        self._redact_text = redact_text if mask else (lambda text: text)
        self._may_hold_secrets = may_hold_secrets
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
        safe_scenario, masked, line, safe = scenario, original, None, None
        if self._redact is not None:
            data = scenario.to_dict()
            line = json_line(data)
            if self._may_hold_secrets(line):
                safe = self._redact(data)
                if safe != data:
                    safe_scenario = ScenarioResult.from_dict(safe)
                    masked = safe_scenario.findings
                    line = json_line(safe)
        subject = scenario.subject
        rows = self.log.rows
        rows.start(subject)
        seen = rows.seen(subject)
        new_in_subject = []
        for f, safe_f in zip(original, masked):
            if f in seen:
                continue
            seen.add(f)
            new_in_subject.append(safe_f)
            if self._first_in_run(f, subject):
                acc = self._requirement(f.requirement)
                acc.findings.append(safe_f)
                acc.outcomes.add(f.outcome)
        rows.add(safe_scenario, new_in_subject)
        name = f"{scenario.name} — {scenario.subject}"
        if self._redact is not None and self._may_hold_secrets(name):
            name = self._redact_text(name)
        for rid in dict.fromkeys(scenario.requirements):
            acc = self._requirement(rid)
            acc.tagged = True
            if self._dir is None:
                acc.names.add(name)
            else:
                acc.names.append(name, json_line(name))
            if scenario.error:
                acc.outcomes.add(Outcome.ERROR)
            elif not original:
                acc.outcomes.add(Outcome.SKIP)
        self.log.append(safe_scenario, line if self._dir is not None else None)

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
        from .runner import HarnessError, requirement_outcome

        scope = scope or {}
        unknown = set(self._reqs) - set(self.services)
        if any(self._reqs[rid].findings for rid in unknown):
            raise HarnessError("Constatations rattachées à des exigences absentes du catalogue : "
                               f"{sorted(rid for rid in unknown if self._reqs[rid].findings)}")
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
                id=req.id, service=req.service, statement=req.statement, level=req.level,
                source=req.source + (f" ({req.official_id})" if req.official_id else ""),
                blocking=req.blocks(profile), outcome=requirement_outcome(list(outcomes)), scenarios=[],
                findings=findings if isinstance(findings, list) else [])
            if self._redact is not None:  # the catalogue's text and the findings made here
                data = result.to_dict()
                if (safe := self._redact(data)) != data:
                    result = RequirementResult.from_dict(safe)
            result.scenarios = sorted(acc.names) if isinstance(acc.names, set) else SortedNames(acc.names)
            if not isinstance(findings, list):
                result.findings = findings
            results.append(result)
        return results

    def replace_findings(self, result: RequirementResult, findings: list[Finding]) -> None:
        """Give ``result`` other findings (run-level advice), masked and spooled like the others."""
        if self._redact is not None:
            findings = [f if (safe := self._redact(f.to_dict())) == f.to_dict() else Finding.from_dict(safe)
                        for f in findings]
        if self._dir is None:
            result.findings = findings
            return
        spool = FindingSpool(self._dir)
        for f in findings:
            spool.append(f)
        result.findings = spool


@contextmanager
def _deferred_interrupt():
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
