"""A run's results on flat memory: collected as batches return, masked once, spooled, summarised.

:class:`RunCollector` takes scenario results one at a time (offline batches, then the live session),
masks their secrets once (:mod:`~dui_conformance.redact`), appends them to a :class:`ScenarioLog` and rolls
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

from .collector import RunCollector
from .log import (
    FeatureGroup,
    ScenarioLog,
    document_rows,
    evaluated_requirements,
    group_by_feature,
    harness_errors,
    subjects,
)
from .memory import fewer_collections
from .rows import DocumentRow, DocumentRows
from .spool import FindingSpool, SortedNames, Spool, SpoolDir, decode_lines, is_fallback, json_line, outcome_counts

__all__ = [
    "DocumentRow",
    "DocumentRows",
    "FeatureGroup",
    "FindingSpool",
    "RunCollector",
    "ScenarioLog",
    "SortedNames",
    "Spool",
    "SpoolDir",
    "decode_lines",
    "document_rows",
    "evaluated_requirements",
    "fewer_collections",
    "group_by_feature",
    "harness_errors",
    "is_fallback",
    "json_line",
    "outcome_counts",
    "subjects",
]
