"""Other ways to log into the DUI: attended mode (a robot tester in the tester's place), Chromium through
Playwright (skipped when absent)."""

from __future__ import annotations

import dataclasses
import threading
from types import SimpleNamespace

import pytest

from dui_conformance import psc
from dui_conformance.live import psc as live_psc
from dui_conformance.live.config import DuiConfig
from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment
from dui_conformance.model import Outcome

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with LiveEnvironment(
        reference_defects=frozenset(), services_file=tmp_path_factory.mktemp("psc") / SERVICES_FILE
    ) as environment:
        environment.psc_settings = dataclasses.replace(environment.psc_settings, attente_s=0.05)
        yield environment


class RobotTester:
    """Clicks « connexion » in the reference DUI from a thread when told to, reads its screen through the adapter."""

    def __init__(self, env):
        self.env, self.messages, self.questions, self.browser = (
            env,
            [],
            [],
            live_psc.RequestsBrowser(verify=str(env.pki.root_cert)),
        )
        self.adapter = env.driver

    def instruct(self, message: str) -> None:
        self.messages.append(message)
        if message.startswith("Dans le DUI, lancez la connexion"):
            threading.Thread(
                target=self.browser.visit, args=(self.env.psc_settings.connexion_url,), daemon=True
            ).start()

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        return any(s["nom"] in question for s in self.adapter.sessions())

    def ask(self, question: str) -> str:
        raise AssertionError(f"question inattendue : {question}")


def test_attended_login_names_the_professional_and_watches_the_mock(env):
    reference = env.driver
    robot = RobotTester(env)
    env.reset()
    env.driver = SimpleNamespace(tester=robot, adapter=None, reset=reference.reset)
    env.dui_config = DuiConfig(mode="accompagne", export_dir=".", attente_s=5)
    try:
        good = live_psc.run_login(env, "ide-martin")
        env.reset()
        bad = live_psc.run_login(env, "ide-martin", "signature-invalide")
    finally:
        env.driver, env.dui_config = reference, None
        robot.browser.close()
    assert "Claire MARTIN" in robot.messages[0] and "810999000010" in robot.messages[0]
    assert "Claire MARTIN" in robot.questions[0]
    assert {f.outcome for f in psc.check_session(good.run)} == {Outcome.PASS}
    assert {(f.requirement, f.outcome) for f in psc.check_refused(bad.run)} == {("PSC-10", Outcome.PASS)}


def test_chromium_logs_in_like_the_requests_browser(env):
    if live_psc.chromium_path() is None:
        pytest.skip("Playwright ou Chromium absent : pilote navigateur non testé.")
    env.reset()
    settings = env.psc_settings
    env.psc_settings = dataclasses.replace(settings, navigateur="chromium")
    try:
        attempt = live_psc.run_login(env, "medecin-durand")
        attempt.pilot.close()
    finally:
        env.psc_settings = settings
    assert {f.outcome for f in psc.check_session(attempt.run)} == {Outcome.PASS}
