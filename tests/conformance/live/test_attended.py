"""Attended mode with a robot tester: it performs each printed action on the reference DUI (DMP actions
from a thread, as a person would while the harness waits for the DMP mock's traffic)."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest

from dui_conformance.live.adapter import AdapterClient
from dui_conformance.live.attended import AbortedByTester, AttendedDriver, AttendedError
from dui_conformance.live.config import DuiConfig
from dui_conformance.live.dmp import (
    check_error_kept,
    check_existence_on_opening,
    check_integration,
    check_query_requests,
    check_recorded,
    check_refused_unqualified,
    check_replacement,
    check_retrieve_requests,
    check_single_submission,
    check_view,
    check_vsm,
    run_feed,
    run_integration,
    run_opening,
    seed_document,
    seed_vsm,
    shared_patient_id,
)
from dui_conformance.live.driver import Admission, DmpAnswer
from dui_conformance.live.environment import LiveEnvironment
from dui_conformance.live.ins import check_admission
from dui_conformance.live.personas import DmpProfile
from dui_conformance.mocks.common import ExchangeRecorder
from dui_conformance.mocks.dui import DEFECTS, ReferenceDui
from dui_conformance.model import Outcome

pytestmark = pytest.mark.live


class RobotTester:
    """Does what the harness asks, through the reference DUI's adapter (or nothing when idle; admissions
    only when ``dmp_silent``)."""

    def __init__(self, idle: bool = False, dmp_silent: bool = False):
        self.idle = idle
        self.dmp_silent = dmp_silent
        self.client: AdapterClient | None = None
        self.env: LiveEnvironment | None = None
        self.last: Admission | None = None
        self.admitted: dict[str, str] = {}  # description printed by the harness → reference DUI's resident id
        self.sent: dict[str, str] = {}  # reference resident id → last document sent
        self.dmp_answer: DmpAnswer | None = None
        self.dmp_rid: str | None = None
        self.worker: threading.Thread | None = None
        self.messages: list[str] = []
        self.questions: list[str] = []

    def instruct(self, message: str) -> None:
        self.messages.append(message)
        if self.idle:
            return
        if message.startswith("Admettez"):
            persona = next(
                p
                for p in self.env.personas.values()
                if p.traits.describe() in message or (p.card is not None and p.card.matricule in message)
            )
            document = "CN" if "« CN »" in message else None
            if "carte Vitale" in message:
                self.last = self.client.admit_by_vitale(persona.card, document)
            else:
                self.last = self.client.admit_by_traits(persona.traits, document)
            self.admitted[persona.traits.describe()] = self.last.resident_id
        elif message.startswith("Exportez"):
            path = message.split(" dans le fichier ", 1)[1]
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.client.patient(self.last), handle)
        elif not self.dmp_silent and message.startswith(("Produisez", "Lancez l'intégration")):
            self.dmp_rid = next(rid for who, rid in self.admitted.items() if who in message)
            self.worker = threading.Thread(target=self._dmp_action, args=(message,), daemon=True)
            self.worker.start()

    def _dmp_action(self, message: str) -> None:
        """The DUI at work while the harness waits for the DMP mock's traffic."""
        time.sleep(0.05)
        if message.startswith("Lancez"):
            self.dmp_answer = self.client.integrate_dmp(self.dmp_rid)
            return
        replaces = self.sent.get(self.dmp_rid) if "remplace" in message else None
        self.dmp_answer = self.client.feed_dmp(self.dmp_rid, replaces=replaces)
        if self.dmp_answer.body:
            self.sent[self.dmp_rid] = self.dmp_answer.document_id

    def _done(self) -> DmpAnswer | None:
        if self.worker is not None:
            self.worker.join(5)
        return self.dmp_answer

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        if "INSi" in question:
            return bool(self.last and self.last.problem)
        answer = self._done()
        if "en attente" in question:
            return any(d["statut"] == "en_attente" for d in self.client.dmp_documents(self.dmp_rid))
        return bool(answer and answer.problem)

    def ask(self, question: str) -> str:
        self.questions.append(question)
        if not question.startswith("Dans quel dossier"):
            return self.last.resident_id
        self._done()
        unique_id = re.search(r"uniqueId ([^)]+)\)", question).group(1)
        for number, who in re.findall(r"(\d+) = ([^;]+?) ;", question):
            rid = self.admitted.get(who.strip())
            if rid and unique_id in {d["uniqueId"] for d in self.client.received_documents(rid)}:
                return number
        return "0"


@pytest.fixture
def attended(tmp_path):
    def start(tester: RobotTester, wait: float = 5.0, with_adapter: bool = False, defects: frozenset = frozenset()):
        export_dir = tmp_path / "exports"
        export_dir.mkdir(exist_ok=True)
        config = DuiConfig(mode="accompagne", attente_s=wait, export_dir=export_dir)
        env = LiveEnvironment(dui_config=config, services_file=tmp_path / "services.json", tester=tester)
        env.__enter__()
        dui = ReferenceDui(env.insi.url, defects, dmp_url=env.dmp.url)
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


@pytest.mark.parametrize(
    "content, message", [(b"{pas du json", "illisible"), (b'{"resourceType": "Bundle"}', "Patient")]
)
def test_unusable_export_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "export.json"
    path.write_bytes(content)
    with pytest.raises(AttendedError, match=message):
        AttendedDriver._read(path)


ITI41_IDS = [f"DMP-{n}" for n in range(40, 51)]


def _failing(findings) -> set[str]:
    return {f.requirement for f in findings if f.outcome in (Outcome.FAIL, Outcome.ERROR)}


def _all_pass(findings) -> None:
    assert {f.outcome for f in findings} <= {Outcome.PASS, Outcome.OMIT}, [
        (f.requirement, f.outcome, f.message) for f in findings if f.outcome not in (Outcome.PASS, Outcome.OMIT)
    ]


def test_observed_feed_and_replacement_pass_the_dmp_checks(attended):
    tester = RobotTester()
    env = attended(tester, wait=2.0)
    run = env.admit("unique", id_document="CN")
    feed = run_feed(env, run)
    assert len(feed.submissions()) == 1 and feed.answer.body["statut"] == "envoye"
    assert feed.listing[0]["uniqueId"] and "(attente maximale : 2 s)" in tester.messages[-1]
    assert "document de liaison d'urgence (DLU)" in tester.messages[-1] and run.patient["id"] != ""
    second = run_feed(env, run, replaced=feed)
    assert feed.listing[0]["uniqueId"] in tester.messages[-1]
    findings = (
        check_single_submission(feed)
        + check_recorded(feed, ITI41_IDS)
        + check_replacement(second)
        + check_recorded(second, ["DMP-43"])
    )
    _all_pass(findings)
    assert {"DMP-60", "DMP-61"} <= {f.requirement for f in findings if f.outcome is Outcome.PASS}
    assert not tester.questions[1:]  # clean traffic: nothing asked beyond the admission's export


def test_silent_dui_fails_the_single_submission_check_not_the_harness(attended):
    tester = RobotTester(dmp_silent=True)
    env = attended(tester, wait=0.5)
    run = env.admit("unique", id_document="CN")
    feed = run_feed(env, run)
    assert feed.exchanges == [] and feed.answer == DmpAnswer(None) and feed.listing == []
    assert _failing(check_single_submission(feed)) == {"DMP-60"}
    assert check_recorded(feed, ["DMP-40"])[0].outcome is Outcome.SKIP


def test_refusal_and_dmp_error_are_taken_from_the_tester(attended):
    tester = RobotTester()
    env = attended(tester, wait=0.5)
    unqualified = env.admit("unique")
    _all_pass(check_refused_unqualified(run_feed(env, unqualified)))
    run = env.admit("unique", id_document="CN")
    env.dmp.fail_next("XDSRepositoryError")
    failed_feed = run_feed(env, run)
    assert failed_feed.answer.problem["service"] == "DMP" and failed_feed.listing[0]["statut"] == "en_attente"
    _all_pass(check_error_kept(failed_feed))


def test_dmp_error_the_dui_hides_fails_dmp63(attended):
    env = attended(RobotTester(), wait=1.0, defects=frozenset({"dmp-erreur-ignoree"}))
    run = env.admit("unique", id_document="CN")
    env.dmp.fail_next("XDSRepositoryError")
    assert _failing(check_error_kept(run_feed(env, run))) == DEFECTS["dmp-erreur-ignoree"].fails


@pytest.mark.parametrize("defect", [None, "dmp-integration-mauvais-dossier"], ids=["correct", "mauvais-dossier"])
def test_observed_integration_is_judged_by_the_dmp_checks(attended, defect):
    failing = DEFECTS[defect].fails if defect else set()
    tester = RobotTester()
    env = attended(tester, wait=2.0, defects=frozenset({defect} if defect else ()))
    run, other = env.admit("historique", id_document="CN"), env.admit("nom-compose", id_document="CN")
    patient_id = shared_patient_id(run.patient)
    seeded = [seed_document(env, patient_id)]
    integration = run_integration(env, run.admission.resident_id, patient_id, seeded, [other.admission.resident_id])
    assert [e.operation for e in integration.exchanges] == ["ITI-18", "ITI-43"]
    assert any(q.startswith("Dans quel dossier") and seeded[0] in q for q in tester.questions)
    findings = check_integration(integration) + check_query_requests(integration) + check_retrieve_requests(integration)
    assert _failing(findings) == failing, [f.message for f in findings]
    if not failing:
        _all_pass(findings)
        assert integration.answer.body["integres"][0]["title"]


def test_integration_without_traffic_fails_dmp64(attended):
    env = attended(RobotTester(dmp_silent=True), wait=0.5)
    run = env.admit("historique", id_document="CN")
    patient_id = shared_patient_id(run.patient)
    integration = run_integration(env, run.admission.resident_id, patient_id, [seed_document(env, patient_id)], [])
    assert integration.exchanges == [] and integration.received == {run.admission.resident_id: []}
    assert _failing(check_integration(integration)) == {"DMP-64"}


class AbortingRobot(RobotTester):
    def ask(self, question: str) -> str:
        return "abandon" if question.startswith("Dans quel dossier") else super().ask(question)


def test_tester_abort_stops_the_run(attended):
    env = attended(AbortingRobot(), wait=2.0)
    run = env.admit("historique", id_document="CN")
    patient_id = shared_patient_id(run.patient)
    seed_document(env, patient_id)
    with pytest.raises(AbortedByTester):
        env.driver.integrate_dmp(run.admission.resident_id)


def test_dmp_operations_need_the_dmp_mock(tmp_path):
    config = DuiConfig(mode="accompagne", attente_s=0.5, export_dir=tmp_path)
    driver = AttendedDriver(ExchangeRecorder("insi"), config, RobotTester())
    with pytest.raises(AttendedError, match="DMP simulé"):
        driver.feed_dmp("01-x")


STATES = ["ouvert", "absent", "acces-refuse", "opposition", "non-interroge"]  # the harness's menu, in its order


class ScreenReader(RobotTester):
    """Opens the record in the reference DUI when told to, then answers what its view shows (``typo``: the first
    numbered answer is out of range, then right)."""

    def __init__(self, typo: bool = False):
        super().__init__()
        self.typo, self.view = typo, {}

    def instruct(self, message: str) -> None:
        if message.startswith("Enregistrez"):
            rid = self.last.resident_id
            self.client.open_record(rid, non_opposition="ne s'oppose pas" in message)
            self.view = self.client.dmp_view(rid)
        super().instruct(message)

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        shown = {d["uniqueId"] for d in self.view.get("documents") or []}
        if "ouvert à l'écran" in question:
            return True
        if "qualifiée" in question:
            return self.view["insQualifiee"]
        if "liste des documents" in question:
            return self.view["documents"] is not None
        if question.startswith("La liste montre-t-elle"):
            return re.search(r"uniqueId ([^)]+)\)", question).group(1) in shown
        return super().confirm(question)

    def ask(self, question: str) -> str:
        if self.typo and "Répondez par le numéro" in question:
            self.typo = False
            self.questions.append(question)
            return "42"
        if question.startswith("Quel état"):
            self.questions.append(question)
        vsm = self.view.get("vsm")
        if question.startswith("Quel état"):
            return str(STATES.index(self.view["statutDmp"]) + 1)
        if question.startswith("Combien d'autres"):
            return "0"
        if question.startswith("Que montre"):
            return "0" if vsm is None else "1" if vsm["disponible"] else "2"
        if question.startswith("Quelle date"):
            t = vsm["date"]
            return re.search(rf"(\d+) = {t[6:8]}/{t[4:6]}/{t[:4]} {t[8:10]}:{t[10:12]}", question).group(1)
        return super().ask(question)


@pytest.mark.parametrize("typo", [False, True], ids=["reponses-exactes", "numero-hors-liste-redemande"])
def test_opening_read_from_the_screen_is_judged_by_the_consultation_checks(attended, typo):
    tester = ScreenReader(typo)
    env = attended(tester, wait=3.0)
    run = env.admit("unique", id_document="CN")
    patient_id = shared_patient_id(run.patient)
    seed_document(env, patient_id)
    seed_vsm(env, patient_id, "20260105093000")
    seed_vsm(env, patient_id, "20261120143000")
    opening = run_opening(env, run, DmpProfile())
    assert opening.view == {**tester.view, "documents": opening.view["documents"]}
    assert {d["uniqueId"] for d in opening.view["documents"]} == {d["uniqueId"] for d in tester.view["documents"]}
    _all_pass(check_existence_on_opening(opening) + check_view(opening) + check_vsm(opening))
    assert sum(q.startswith("Quel état") for q in tester.questions) == (2 if typo else 1)


def test_numbered_question_answered_badly_three_times_is_a_clear_error(attended):
    class Stubborn(ScreenReader):
        def ask(self, question: str) -> str:
            return "9" if question.startswith("Quel état") else super().ask(question)

    env = attended(Stubborn(), wait=2.0)
    run = env.admit("unique", id_document="CN")
    env.driver.open_record(run.admission.resident_id)
    with pytest.raises(AttendedError, match="numéro de 0 à 5 attendu"):
        env.driver.dmp_view(run.admission.resident_id)
