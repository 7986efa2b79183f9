"""``dui-conformance compare A B``: what changed between two ``report.json``.

Per requirement and per document: *régressions* (fails or errs in B, did not in A),
*corrections* (the reverse), and what *apparaît* or *disparaît* (a requirement of only one
catalogue, a document of only one run). A requirement that appears already failing is a
regression too: it is a new failure. Documents are matched by their path relative to the
run's common folder, so two runs from different machines compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .model import Outcome, RunResult, worst
from .report.readiness import LIVE_SUBJECT, document_key

_BAD = (Outcome.FAIL, Outcome.ERROR)


@dataclass(frozen=True)
class Change:
    requirement: str
    before: str | None  # outcome value in A, None when absent
    after: str | None
    document: str | None = None  # None: the whole requirement
    blocking: bool = False  # blocking in B (or in A when it disappeared)

    def to_dict(self) -> dict[str, object]:
        return {
            "exigence": self.requirement,
            "document": self.document,
            "avant": self.before,
            "apres": self.after,
            "bloquante": self.blocking,
        }


@dataclass
class Comparison:
    regressed: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    appeared: list[Change] = field(default_factory=list)
    disappeared: list[Change] = field(default_factory=list)
    documents_appeared: list[str] = field(default_factory=list)
    documents_disappeared: list[str] = field(default_factory=list)

    @property
    def has_regression(self) -> bool:
        return bool(self.regressed)

    def to_dict(self) -> dict[str, object]:
        return {
            "regressions": [c.to_dict() for c in self.regressed],
            "corrections": [c.to_dict() for c in self.fixed],
            "apparues": [c.to_dict() for c in self.appeared],
            "disparues": [c.to_dict() for c in self.disappeared],
            "documents_apparus": self.documents_appeared,
            "documents_disparus": self.documents_disappeared,
        }


def per_document(run: RunResult, keys: Mapping[str, str]) -> dict[tuple[str, str], Outcome]:
    """(document, requirement) → worst outcome of that requirement's findings on that document; ``keys`` names
    each subject (the live session keeps its own name)."""
    out: dict[tuple[str, str], Outcome] = {}
    for scenario in run.scenarios:
        doc = keys.get(scenario.subject, LIVE_SUBJECT)
        pairs = [(f.requirement, f.outcome) for f in scenario.findings]
        pairs += [(rid, Outcome.ERROR) for rid in scenario.requirements if scenario.error]
        for rid, outcome in pairs:
            out[(doc, rid)] = worst([out.get((doc, rid), Outcome.NOT_RUN), outcome])
    return out


def _classify(comparison: Comparison, key_a: dict, key_b: dict, blocking: dict[str, bool], document: bool) -> None:
    for key in sorted(set(key_a) | set(key_b)):
        doc, rid = key if document else (None, key)
        before, after = key_a.get(key), key_b.get(key)
        change = Change(rid, before and before.value, after and after.value, doc, blocking.get(rid, False))
        if before is None and not document:
            comparison.appeared.append(change)
            if after in _BAD:
                comparison.regressed.append(change)
        elif after is None and not document:
            comparison.disappeared.append(change)
        elif after in _BAD and before not in _BAD:
            comparison.regressed.append(change)
        elif before in _BAD and after not in _BAD and after is not None:
            comparison.fixed.append(change)


def compare(a: RunResult, b: RunResult) -> Comparison:
    comparison = Comparison()
    blocking = {r.id: r.blocking for r in a.requirements} | {r.id: r.blocking for r in b.requirements}
    _classify(
        comparison,
        {r.id: r.outcome for r in a.requirements},
        {r.id: r.outcome for r in b.requirements},
        blocking,
        document=False,
    )
    docs_a, docs_b = per_document(a, document_key(a)), per_document(b, document_key(b))
    names_a, names_b = {d for d, _ in docs_a}, {d for d, _ in docs_b}
    common = names_a & names_b
    _classify(
        comparison,
        {k: v for k, v in docs_a.items() if k[0] in common},
        {k: v for k, v in docs_b.items() if k[0] in common},
        blocking,
        document=True,
    )
    comparison.documents_appeared = sorted(names_b - names_a)
    comparison.documents_disappeared = sorted(names_a - names_b)
    return comparison
