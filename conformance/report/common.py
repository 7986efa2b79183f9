"""Helpers shared by the writers: one-line finding descriptions, optional inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..expectations import Expectation
from ..model import Location, Outcome, RequirementResult, RunResult
from ..requirements import Catalogue
from ..results import outcome_counts
from .official import Keying, Locator, OfficialView, build_view, builtin_keying
from .readiness import Readiness, assess

LABELS = {o.value: o.label for o in Outcome}  # outcome value → French label, for writers working on JSON data


def describe_finding(finding: dict[str, Any]) -> str:
    """One line for a finding given as its JSON data (``Finding.to_dict``)."""
    where = Location(finding["file"], finding["xpath"], finding["line"], finding["exchange"]).describe()
    text = f"[{finding['requirement']}] {LABELS[finding['outcome']]} : {finding['message']}"
    return text + f" ({where})" if where else text


def advisories(run: RunResult) -> list[tuple[RequirementResult, int]]:
    """Each requirement with avertissements (a PEUT found broken), with how many: every report lists them apart
    from the failures, and they never weigh on the verdict."""
    found = ((r, outcome_counts(r.findings)[Outcome.ADVISORY]) for r in run.requirements)
    return [(r, n) for r, n in found if n]


@dataclass(frozen=True)
class ReportContext:
    """Optional inputs beside the run.

    ``catalogue``: the catalogue the run used (the other profiles' verdicts are rolled up with it;
    the built-in one when absent). ``expectations``: the ``--attendus`` file, shown apart.
    ``funding``: the JSON of ``dui-conformance financement`` (owned by ``conformance/funding``),
    shown in its own block of the first screen when given. ``readiness``: the assessment of the
    run, computed once by ``write_reports`` for every writer (it rolls the run up per profile).
    ``keying``: what the view by official id is keyed on (``--correspondances``, ``--referentiel-rem``; the
    built-in mapping when absent); ``view``: that view, built once by ``write_reports`` for every writer.
    """

    catalogue: Catalogue | None = None
    expectations: list[Expectation] | None = None
    funding: dict[str, Any] | None = None
    readiness: Readiness | None = None
    keying: Keying | None = None
    view: OfficialView | None = None

    def assess(self, run: RunResult) -> Readiness:
        return self.readiness if self.readiness is not None else assess(run, self.catalogue)

    def official(self, run: RunResult, members: Locator | None = None) -> OfficialView:
        """The view by official id; ``members`` names each proof's member in the evidence pack written with it."""
        if self.view is not None:
            return self.view
        return build_view(run, self.keying or builtin_keying(), members)
