"""Attended mode with a robot tester: it performs each printed action on the reference DUI."""

from __future__ import annotations

import json

import pytest

from conformance.live.adapter import AdapterClient
from conformance.live.attended import AttendedDriver, AttendedError
from conformance.live.config import DuiConfig
from conformance.live.driver import Admission
from conformance.live.environment import LiveEnvironment
from conformance.live.ins import check_admission
from conformance.model import Outcome
from dui_conformance_mocks.dui import ReferenceDui

pytestmark = pytest.mark.live


class RobotTester:
    """Does what the harness asks, through the reference DUI's adapter (or nothing when idle)."""

    def __init__(self, idle: bool = False):
        self.idle = idle
        self.client: AdapterClient | None = None
        self.env: LiveEnvironment | None = None
        self.last: Admission | None = None
        self.messages: list[str] = []

    def instruct(self, message: str) -> None:
        self.messages.append(message)
        if self.idle:
            return
        if message.startswith("Admettez"):
            persona = next(p for p in self.env.personas.values() if p.traits.describe() in message or
                           (p.card is not None and p.card.matricule in message))
            document = "CN" if "« CN »" in message else None
            if "carte Vitale" in message:
                self.last = self.client.admit_by_vitale(persona.card, document)
            else:
                self.last = self.client.admit_by_traits(persona.traits, document)
        elif message.startswith("Exportez"):
            path = message.split(" dans le fichier ", 1)[1]
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.client.patient(self.last), handle)

    def confirm(self, question: str) -> bool:
        return bool(self.last and self.last.problem)

    def ask(self, question: str) -> str:
        return self.last.resident_id


@pytest.fixture
def attended(tmp_path):
    def start(tester: RobotTester, wait: float = 5.0, with_adapter: bool = False):
        export_dir = tmp_path / "exports"
        export_dir.mkdir(exist_ok=True)
        config = DuiConfig(mode="accompagne", attente_s=wait, export_dir=export_dir)
        env = LiveEnvironment(dui_config=config, services_file=tmp_path / "services.json", tester=tester)
        env.__enter__()
        dui = ReferenceDui(env.insi.url)
        tester.client, tester.env = AdapterClient(dui.start()), env
        if with_adapter:
            env.driver.adapter = tester.client
        env.driver.settle_s = 0.1
        started.append((env, dui))
        return env
    started: list = []
    yield start
    for env, dui in started:
        dui.stop()
        env.close()


@pytest.mark.parametrize("persona, by_vitale", [("unique", False), ("faute", False), ("vitale", True)])
def test_robot_tester_admissions_pass_the_checks(attended, persona, by_vitale):
    tester = RobotTester()
    env = attended(tester)
    assert isinstance(env.driver, AttendedDriver)
    run = env.admit(persona, by_vitale=by_vitale, id_document="CN")
    assert run.exchanges and run.patient is not None
    assert tester.messages[0].startswith("Admettez") and "(attente maximale : 5 s)" in tester.messages[0]
    findings = check_admission(run)
    assert {f.outcome for f in findings} <= {Outcome.PASS, Outcome.OMIT}, [f.message for f in findings]


def test_patient_read_through_the_partial_adapter(attended):
    tester = RobotTester()
    env = attended(tester, with_adapter=True)
    run = env.admit("unique", id_document="CN")
    assert run.patient["id"] == tester.last.resident_id
    assert not any(m.startswith("Exportez") for m in tester.messages)


def test_idle_tester_is_waited_for_within_the_bound(attended):
    env = attended(RobotTester(idle=True), wait=0.3)
    run = env.admit("unique", id_document="CN")
    assert run.exchanges == [] and run.patient is None
    outcomes = {f.requirement: f.outcome for f in check_admission(run)}
    assert outcomes["INS-21"] is Outcome.SKIP and outcomes["INS-22"] is Outcome.SKIP


@pytest.mark.parametrize("content, message", [(b"{pas du json", "illisible"), (b'{"resourceType": "Bundle"}', "Patient")])
def test_unusable_export_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "export.json"
    path.write_bytes(content)
    with pytest.raises(AttendedError, match=message):
        AttendedDriver._read(path)
