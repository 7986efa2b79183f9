"""Spools: a run's items in the order appended, in memory or one JSON line each in a private temporary file."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import weakref
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any, Generic, TypeVar, overload

from ..model import Finding, Outcome, ScenarioResult

T = TypeVar("T")


def json_line(data: object) -> str:
    """One JSON line (the C encoder); lone surrogates from hostile input fall back to escapes."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True)
    return text + "\n"


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # made once: ``json.dumps`` with options builds one a call
_STRING = json.encoder.encode_basestring  # the C function the encoder above applies to each string


def json_value(value: object) -> str:
    """A value as ``json_line`` writes it (without the newline and the ASCII fallback): strings, None and
    plain numbers directly, anything else through the encoder."""
    if value is None:
        return "null"
    if type(value) is str:
        return _STRING(value)
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return repr(value)
    return _ENCODE(value)


def _text(value: str | None) -> str:
    """An optional text (``_STRING`` refuses anything but a string: the caller falls back to ``json_line``)."""
    return "null" if value is None else _STRING(value)


def _texts(values: list[str]) -> str:
    return f"[{', '.join(map(_STRING, values))}]"


_OUTCOME = {o: _STRING(o.value) for o in Outcome}


def _finding_text(f: Finding) -> str:
    loc = f.location
    return (
        f'{{"requirement": {_STRING(f.requirement)}, "outcome": {_OUTCOME[f.outcome]}, '
        f'"message": {_STRING(f.message)}, "file": {_text(loc.file)}, "xpath": {_text(loc.xpath)}, '
        f'"line": {json_value(loc.line)}, "exchange": {_text(loc.exchange)}, "evidence": {_text(f.evidence)}}}'
    )


def scenario_lines(scenario: ScenarioResult, outcome: Outcome | None = None) -> tuple[str, list[str]]:
    """``json_line`` of the scenario's ``to_dict()`` and of each of its findings' (in ``scenario.findings``
    order), written from their fields, each finding encoded once for both: a spooled run writes a scenario
    into the log and its new findings into their requirements' spools. A field of another type than the
    model's, or a lone surrogate (the ASCII fallback), takes ``json_line``;
    ``tests/conformance/results/test_spool.py`` compares the two. ``outcome``: the scenario's, when the caller
    has it."""
    s = scenario
    try:
        steps, findings = [], []
        for step in s.steps:
            texts = [_finding_text(f) for f in step.findings]
            findings += texts
            steps.append(
                f'{{"keyword": {_STRING(step.keyword)}, "text": {_STRING(step.text)}, '
                f'"outcome": {_OUTCOME[step.outcome]}, "duration": {json_value(step.duration)}, '
                f'"findings": [{", ".join(texts)}], "error": {_text(step.error)}}}'
            )
        line = (
            f'{{"nodeid": {_STRING(s.nodeid)}, "feature": {_STRING(s.feature)}, '
            f'"feature_file": {_STRING(s.feature_file)}, "name": {_STRING(s.name)}, "tags": {_texts(s.tags)}, '
            f'"requirements": {_texts(s.requirements)}, "subject": {_STRING(s.subject)}, '
            f'"outcome": {_OUTCOME[outcome or s.outcome]}, "error": {_text(s.error)}, '
            f'"duration": {json_value(s.duration)}, "steps": [{", ".join(steps)}]}}\n'
        )
        line.encode("utf-8")
    except (TypeError, AttributeError, KeyError, UnicodeEncodeError):
        return json_line(s.to_dict()), [json_line(f.to_dict()) for f in s.findings]
    return line, [text + "\n" for text in findings]


class SpoolDir:
    """A private temporary directory, removed when the last spool using it is garbage collected."""

    OPEN_FILES = 4096  # two files per requirement (findings, scenario names) and the log stay open during the run

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


def _to_dict(item: Any) -> Any:
    return item.to_dict()


class Spool(Generic[T]):
    """Items in the order appended, re-iterable; in memory, or one JSON line each in a file of ``directory``.

    ``lines()`` gives each item's JSON line (what ``report.json`` embeds), ``ascii`` says whether one of
    them needed the ASCII fallback of :func:`json_line`."""

    def __init__(
        self,
        decode: Callable[[Any], T],
        directory: SpoolDir | None = None,
        encode: Callable[[T], Any] = _to_dict,
    ):
        self._decode, self._encode, self._dir = decode, encode, directory
        self._items: list[T] | None = [] if directory is None else None
        self._path: Path | None = None
        self._out: IO[bytes] | None = None
        self._len = 0
        self.ascii = False
        self.size = 0  # bytes written (file spools)
        self.last = 0  # where the last line starts (file spools)

    def append(self, item: T, line: str | None = None) -> None:
        """Add ``item``; ``line``: its JSON line when the caller already made it."""
        self._len += 1
        if self._items is not None:
            self._items.append(item)
            return
        if self._out is None:
            assert self._dir is not None
            self._path = self._dir.new_file()
            self._out = self._path.open("wb")
        line = line if line is not None else json_line(self._encode(item))
        if not self.ascii and "\\ud" in line:
            self.ascii = is_fallback(line)
        data = line.encode("utf-8")
        self._out.write(data)
        self.last = self.size
        self.size += len(data)

    def lines(self) -> Iterator[str]:
        if self._items is not None:
            yield from (json_line(self._encode(item)) for item in self._items)
            return
        reader = self._reader()
        if reader is None:
            return
        with reader as lines:
            for line in lines:
                yield line.decode("utf-8")

    def lines_at(self, offsets: Iterable[int]) -> Iterator[str]:
        """The lines starting at these byte offsets, in their order (file spools; increasing offsets are read
        through one buffer)."""
        reader = self._reader(buffering=1 << 16)
        if reader is None:
            return
        with reader as lines:
            for offset in offsets:
                lines.seek(offset)
                yield lines.readline().decode("utf-8")

    def lines_from(self, offset: int, count: int) -> Iterator[str]:
        """``count`` consecutive lines from the one starting at byte ``offset`` (file spools)."""
        reader = self._reader()
        if reader is None:
            return
        with reader as lines:
            lines.seek(offset)
            for _ in range(count):
                yield lines.readline().decode("utf-8")

    def _reader(self, buffering: int = -1) -> IO[bytes] | None:
        """The file opened for reading, what was appended flushed to it first (None: nothing written yet)."""
        if self._out is None or self._path is None:
            return None
        self._out.flush()
        return self._path.open("rb", buffering=buffering)

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

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
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


class Selection(Generic[T]):
    """Some items of a file spool, in the order selected: the offsets of their lines, not a copy of them
    (a feature's scenarios inside the run's log)."""

    def __init__(self, spool: Spool[T]):
        self._spool = spool
        self._at = array("Q")

    def append(self, item: T, line: str | None = None) -> None:
        """Select the item just appended to the spool (its last line)."""
        self._at.append(self._spool.last)

    def lines(self) -> Iterator[str]:
        return self._spool.lines_at(self._at)

    def __iter__(self) -> Iterator[T]:
        return (self._spool._decode(data) for data in self.dicts())

    def dicts(self) -> Iterator[dict[str, Any]]:
        return (data for chunk in _chunks(self.lines()) for data in decode_lines(chunk))

    def __len__(self) -> int:
        return len(self._at)


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

    def __getitem__(self, index: int) -> str:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, SortedNames)) else NotImplemented
