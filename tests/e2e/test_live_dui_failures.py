"""A DUI that fails or keeps state between scenarios is judged, never blamed for the harness's own doings nor turned
into a harness error (issue 17, item 12): the live plan through the reference DUI, made to misbehave here."""

from __future__ import annotations

import json

import pytest

from dui_conformance.live.environment import LiveEnvironment
from dui_conformance.mocks.dui import ReferenceDui
from dui_conformance.mocks.dui.psc import PscRelyingParty
from dui_conformance.model import EXIT_NOT_CONFORMANT, Outcome, exit_code
from dui_conformance.runner import Execution, execute
from dui_conformance.settings import LIVE, RunSettings

pytestmark = pytest.mark.live

PSC = [f"PSC-{i:02d}" for i in range(1, 30)]


def _run(requirements: list[str]):
    with LiveEnvironment(reference_defects=frozenset(), tls=True) as env:
        return execute(Execution(RunSettings(mode="demo", phases=[LIVE], requirements=requirements), live_env=env))


def test_a_reset_that_keeps_psc_sessions_does_not_fail_later_psc_scenarios(monkeypatch):
    """The contract asks /reinitialisation to close PSC sessions; a DUI whose reset keeps them still gets the
    verdicts of its own doings: the harness logs out, at the end of each scenario, the session it opened."""
    reset = PscRelyingParty.reset

    def keeps_sessions(self):
        sessions = dict(self.sessions)
        reset(self)
        self.sessions.update(sessions)

    monkeypatch.setattr(PscRelyingParty, "reset", keeps_sessions)
    run = _run(PSC)
    assert not [s.name for s in run.scenarios if s.error]
    failing = {r.id: [f.message for f in r.findings] for r in run.requirements if r.outcome is Outcome.FAIL}
    assert not failing
    assert run.verdict == "conforme"


def _failing_admission(kind: str):
    """The reference DUI with POST /residents answering ``kind``: an error problem, an HTML page, a wrong shape."""
    answers = {
        "500": ("500 Internal Server Error", "application/problem+json", json.dumps({"title": "panne", "status": 500})),
        "html": ("500 Internal Server Error", "text/html", "<h1>panne</h1>"),
        "forme": ("201 Created", "application/json", "[1, 2]"),
    }
    status, content_type, body = answers[kind]
    wsgi = ReferenceDui.wsgi

    def failing(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/residents":
            start_response(status, [("Content-Type", content_type)])
            return [body.encode("utf-8")]
        return wsgi(self, environ, start_response)

    return failing


@pytest.mark.parametrize("kind", ["500", "html", "forme"])
def test_a_failing_admission_is_a_finding_never_a_harness_error(monkeypatch, kind):
    """Admission 500 (then a DMP order for the resident never created: once a TypeError), HTML, wrong JSON: every
    scenario that needed the resident fails on the DUI's answer, exit 3, no harness error."""
    monkeypatch.setattr(ReferenceDui, "wsgi", _failing_admission(kind))
    run = _run(["DMP-50", "MSS-20", "PSC-24"])
    assert not [(s.name, s.error) for s in run.scenarios if s.error]
    assert exit_code(run) == EXIT_NOT_CONFORMANT
    failed = {r.id: r for r in run.requirements if r.outcome is Outcome.FAIL}
    assert {"DMP-50", "MSS-20", "PSC-24"} <= set(failed)
    messages = [f.message for f in failed["DMP-50"].findings if f.outcome is Outcome.FAIL]
    assert any("POST /residents" in m and "Attendu" in m for m in messages), messages
