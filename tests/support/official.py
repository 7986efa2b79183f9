"""A small run on requirements that the built-in mapping ties to official ids: one passing on an exchange (PSC-01:
SC.PSC.08 fully, SC.PSC.01 partly), one failing on a document with hostile text (MSS-04), one passing (MSS-03), one
never run (DMP-64, partly mapped); the same results can be rolled up in memory or spooled."""

from __future__ import annotations

from pathlib import Path

from dui_conformance.model import Location, Outcome, RunResult, ScenarioResult, StepResult, failed, passed
from dui_conformance.requirements import load_catalogue
from dui_conformance.results import RunCollector

from .reports import HOSTILE

FORMULA = '=HYPERLINK("http://exemple.invalid","x")'  # a cell text that must stay text in rem-preuves.xlsx
EXCHANGE = {"id": "psc-0001", "service": "psc", "operation": "authorize", "request": {"acr_values": "eidas1"}}


def official_scenarios(export: Path) -> list[ScenarioResult]:
    """``export``: a folder that holds ``message.eml`` (created), the run's one document."""
    export.mkdir(parents=True, exist_ok=True)
    message = export / "message.eml"
    message.write_text("Subject: essai\n\ncorps\n", encoding="utf-8")
    doc = str(message)
    acr = passed("PSC-01", "acr_values=eidas1 présent ; attendu : eidas1.", Location(exchange="psc-0001"))
    headers = [
        failed("MSS-04", HOSTILE + " " + FORMULA, Location(doc, "/en-têtes/X-MSS-INS", 3)),
        passed("MSS-03", "X-MSS-CODECDA présent.", Location(doc, line=2)),
    ]
    return [
        ScenarioResult(
            "features/psc/connexion.feature::test_acr",
            "Connexion Pro Santé Connect",
            "features/psc/connexion.feature",
            "Demande d'autorisation",
            ["direct", "PSC-01"],
            ["PSC-01"],
            "session directe",
            [StepResult("Alors", "la demande est conforme", Outcome.PASS, 0.1, [acr])],
        ),
        ScenarioResult(
            f"features/mss/messages.feature::test_entetes[{doc}]",
            "Messages MSSanté",
            "features/mss/messages.feature",
            "En-têtes X-MSS",
            ["MSS-03", "MSS-04"],
            ["MSS-03", "MSS-04"],
            doc,
            [StepResult("Alors", "les en-têtes sont conformes", Outcome.FAIL, 0.1, headers)],
        ),
    ]


def official_run(export: Path, spool: bool = False) -> RunResult:
    collector = RunCollector(load_catalogue().in_wave(1), spool=spool)  # the default wave, as a run's
    collector.extend(official_scenarios(export))
    return RunResult(
        run_id="20260101-000000",
        mode="direct",
        profile="recette",
        environment="test",
        started="2026-01-01T00:00:00+00:00",
        finished="2026-01-01T00:01:00+00:00",
        inputs=[str(export)],
        scenarios=collector.log,
        requirements=collector.requirements("recette"),
        tool={"nom": "dui-conformance", "version": "0.0.0"},
        exchanges=[EXCHANGE],
    )
