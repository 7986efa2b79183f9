"""Scenario builders shared by the results tests (collector and spool)."""

from __future__ import annotations

from dataclasses import replace

from dui_conformance.model import Finding, Location, Outcome, ScenarioResult, StepResult, passed


def _scenario(subject, *findings, name="Scénario", error=None):
    return ScenarioResult(
        nodeid=f"n::{name}[{subject}]",
        feature="F",
        feature_file="f.feature",
        name=name,
        tags=["cda"],
        requirements=["GEN-01"],
        subject=subject,
        error=error,
        steps=[StepResult("Alors", "étape", Outcome.PASS, findings=list(findings))],
    )


_ODD = 'guillemets " et \\ barre, \x01 contrôle, \t, « é » 🩺\nfin'


def _odd_scenarios() -> list[ScenarioResult]:
    """Texts and numbers that JSON escapes or writes in another way than a plain string or float."""
    odd = Finding("GEN-01", Outcome.FAIL, _ODD, Location("/x/a.xml", "/a/b[2]", 7, "ex-1"), evidence=_ODD)
    base = _scenario("/x/a.xml", odd, passed("GEN-01", "lu"), error=_ODD)
    return [
        base,
        replace(base, duration=float("nan")),
        replace(base, duration=3),
        replace(base, duration=1e-7),
        _scenario("/x/b.xml", Finding("GEN-01", Outcome.PASS, "texte \udcff isolé")),  # the ASCII fallback
        _scenario("/x/c.xml", Finding("GEN-01", Outcome.PASS, "ligne vraie", Location(line=True))),
        replace(base, tags=[]),
        replace(base, steps=[]),
    ]
