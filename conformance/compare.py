"""``dui-conformance compare A B``: what changed between two ``report.json``.

Per requirement and per document: *régressions* (fails or errs in B, did not in A),
*corrections* (the reverse), and what *apparaît* or *disparaît* (a requirement of only one
catalogue, a document of only one run). A requirement that appears already failing is a
regression too: it is a new failure. Documents are matched by their path relative to the
run's common folder, so two runs from different machines compare.

Two reports of different Ségur waves (``--vague``) judged different referentials: a requirement only B's wave
judges appears in B without having regressed (A's run did not even run its scenarios), so it is listed as *apparue*
and never counted as a regression; the comparison says so in its warnings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .model import Outcome, RunResult, worst
from .report.readiness import LIVE_SUBJECT, document_key
from .requirements.catalogue import run_catalogue
from .requirements.waves import wave_referential

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
    waves: tuple[int, int] = (1, 1)  # the Ségur wave each report judged (A, B)
    wave_only: list[str] = field(default_factory=list)  # judged by only one of the two waves: no regression
    warnings: list[str] = field(default_factory=list)  # French: why the two reports do not compare like for like

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
            "vagues": {"avant": self.waves[0], "apres": self.waves[1]},
            "exigences_d_une_seule_vague": self.wave_only,
            "avertissements": self.warnings,
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
        if rid in comparison.wave_only and before is None:
            if not document:
                comparison.appeared.append(change)  # new because B's wave judges it: not a regression
        elif before is None and not document:
            comparison.appeared.append(change)
            if after in _BAD:
                comparison.regressed.append(change)
        elif after is None and not document:
            comparison.disappeared.append(change)
        elif after in _BAD and before not in _BAD:
            comparison.regressed.append(change)
        elif before in _BAD and after not in _BAD and after is not None:
            comparison.fixed.append(change)


def _unlike(a: RunResult, b: RunResult) -> tuple[list[str], list[str]]:
    """The requirements of either report that the other report's wave does not judge (by the built-in catalogue:
    one of an extra ``--catalogue`` folder stays compared), and French warnings on what the two reports do not
    share (the wave, hence the referential; the tool version, hence maybe the catalogue)."""
    warnings = []
    versions = (a.tool.get("version"), b.tool.get("version"))
    if versions[0] != versions[1]:
        warnings.append(
            f"Rapports écrits par dui-conformance {versions[0]} (A) et {versions[1]} (B) : le catalogue d'exigences "
            "et le référentiel de chaque vague ont pu changer entre ces versions."
        )
    if a.wave == b.wave:
        return [], warnings
    judged = {wave: run_catalogue().in_wave(wave) for wave in (a.wave, b.wave)}
    only = sorted(
        {r.id for run, other in ((a, b), (b, a)) for r in run.requirements if not judged[other.wave].judged([r.id])}
    )
    return only, [
        f"Rapports de vagues différentes, donc de référentiels différents : A a jugé « "
        f"{wave_referential(a.wave).describe()} », B « {wave_referential(b.wave).describe()} ».",
        f"{len(only)} exigence(s) jugée(s) par une seule des deux vagues ({', '.join(only) or 'aucune'}) : leur "
        "apparition ou leur disparition vient de la vague, ce n'est ni une régression ni une correction. Le verdict "
        "de régression ne porte que sur les exigences que les deux vagues jugent.",
        *warnings,
    ]


def compare(a: RunResult, b: RunResult) -> Comparison:
    comparison = Comparison(waves=(a.wave, b.wave))
    comparison.wave_only, comparison.warnings = _unlike(a, b)
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
