"""Helpers shared by the writers: one-line finding descriptions, optional inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..expectations import Expectation
from ..model import Finding, RunResult
from ..requirements import Catalogue
from .readiness import Readiness, assess


def describe_finding(finding: Finding) -> str:
    where = finding.location.describe()
    return f"[{finding.requirement}] {finding.outcome.label} : {finding.message}" + (f" ({where})" if where else "")


@dataclass(frozen=True)
class ReportContext:
    """Optional inputs beside the run.

    ``catalogue``: the catalogue the run used (the other profiles' verdicts are rolled up with it;
    the built-in one when absent). ``expectations``: the ``--attendus`` file, shown apart.
    ``funding``: the JSON of ``dui-conformance financement`` (owned by ``conformance/funding``),
    shown in its own block of the first screen when given. ``readiness``: the assessment of the
    run, computed once by ``write_reports`` for every writer (it rolls the run up per profile).
    """

    catalogue: Catalogue | None = None
    expectations: list[Expectation] | None = None
    funding: dict[str, Any] | None = None
    readiness: Readiness | None = None

    def assess(self, run: RunResult) -> Readiness:
        return self.readiness if self.readiness is not None else assess(run, self.catalogue)
