"""One pass over a run's scenarios, feature by feature, for every writer that lists them (JUnit, Cucumber).

Each writer is a generator that receives the scenarios of each feature group in turn as their JSON
data (``ScenarioResult.to_dict`` shape: a spooled run decodes each line once for all the writers, and
nothing is rebuilt into objects); it starts on ``send(None)`` and runs to its end after the last one."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

from ..model import RunResult
from ..results import group_by_feature

Sink = Generator[None, dict[str, Any], None]


def feed(run: RunResult, writers: Iterable[Any]) -> None:
    """``writers``: callables ``(groups) -> Sink``; each takes ``len(group.scenarios)`` items per group."""
    groups = group_by_feature(run.scenarios)
    sinks = [writer(groups) for writer in writers]
    for sink in sinks:
        _send(sink, None)
    for group in groups:
        for data in group.scenarios.dicts():
            for sink in sinks:
                _send(sink, data)


def _send(sink: Sink, value: dict[str, Any] | None) -> None:
    try:
        sink.send(value)  # type: ignore[arg-type]
    except StopIteration:  # the writer wrote its end
        pass
