"""Attended MSSanté (MSS-20…23) with a scripted tester: it admits on the reference DUI, then works its mail
client by hand (smtplib/imaplib over the MSSanté mock's TLS with the run's PKI) from a thread, as a person
would while the harness waits for the operator mock's traffic; the steps' checks then judge the traffic."""

from __future__ import annotations

import json
import re
import threading
import time
from email import message_from_bytes, policy
from importlib.resources import files

import pytest

from dui_conformance.exchanges import Exchange, HttpRequest, HttpResponse
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.ins.fhir_patient import read_patient
from dui_conformance.live.adapter import AdapterClient
from dui_conformance.live.attended import AttendedDriver, AttendedError
from dui_conformance.live.config import DuiConfig
from dui_conformance.live.environment import LiveEnvironment
from dui_conformance.live.mss import (
    DUI_MAILBOX,
    HOSPITAL,
    PATIENT_DOMAIN,
    UNKNOWN_PATIENT_INS,
    check_citizen,
    check_delivery_requested,
    check_delivery_shown,
    check_error_shown,
    check_filed_once,
    check_held_for_matching,
    check_received,
    check_reply,
    check_sent,
    check_sent_vague2,
    check_unknown_patient,
    document_id,
    incoming_dlu,
)
from dui_conformance.mocks.common import ExchangeRecorder
from dui_conformance.mocks.dui import ReferenceDui
from dui_conformance.mocks.dui.mss import MssClient, MssUnavailable
from dui_conformance.mocks.mss.mdn import build_mdn
from dui_conformance.model import Outcome
from dui_conformance.mss import MssRules, is_mdn, mss_members, parse_message

pytestmark = pytest.mark.live


class MailTester:
    """Admits through the reference DUI's adapter; sends and reads MSSanté mail with its own client.
    ``hides_errors``: answers that the DUI neither shows an operator's error nor keeps the message."""

    def __init__(self, hides_errors: bool = False, idle: bool = False):
        self.hides_errors, self.idle = hides_errors, idle
        self.client: AdapterClient | None = None
        self.env: LiveEnvironment | None = None
        self.mail: MssClient | None = None
        self.residents: dict[str, tuple[str, str | None]] = {}  # who → (INS matricule, identity status)
        self.last = None
        self.filed: dict[str, str] = {}  # uniqueId → who it was filed for
        self.refused = False
        self.worker: threading.Thread | None = None
        self.messages: list[str] = []
        self.questions: list[str] = []

    def instruct(self, message: str) -> None:
        self.messages.append(message)
        if message.startswith("Admettez"):
            persona = next(p for p in self.env.personas.values() if p.traits.describe() in message)
            self.last = self.client.admit_by_traits(persona.traits, "CN" if "« CN »" in message else None)
            identity = read_patient("Patient", self.client.patient(self.last), "export")
            self.residents[persona.traits.describe()] = (identity.matricule, identity.status)
        elif message.startswith("Exportez"):
            with open(message.split(" dans le fichier ", 1)[1], "w", encoding="utf-8") as handle:
                json.dump(self.client.patient(self.last), handle)
        elif not self.idle and message.startswith(("Envoyez par MSSanté", "Relevez")):
            self.worker = threading.Thread(target=self._mail, args=(message,), daemon=True)
            self.worker.start()

    def _mail(self, message: str) -> None:
        time.sleep(0.05)
        if message.startswith("Relevez"):
            self._read_mail()
            return
        who = next(w for w in self.residents if w in message)
        ins, status = self.residents[who]
        if "Mon espace santé" in message:
            if status != "QUAL":
                self.refused = True  # the DUI offers no Mon espace santé address for an unqualified identity
                return
            recipient = f"{ins}@{PATIENT_DOMAIN}"
        else:
            recipient = re.search(r"la BAL « ([^»]+) »", message).group(1)
        cda = next(iter(mss_members(incoming_dlu(ins).as_bytes()).values()))
        try:
            self.mail.send(self.mail.message(recipient, "Dossier de liaison d'urgence (fictif)", cda, "74207-2", True))
        except MssUnavailable:
            pass  # the operator's refusal is on screen; the harness asks about it

    def _read_mail(self) -> None:
        """Read the inbox, file each readable DLU with the resident whose INS it carries, acknowledge it."""
        for data in self.mail.fetch():
            if is_mdn(parse_message(data)):
                continue
            original = message_from_bytes(data, policy=policy.SMTP)
            unique_id = document_id(original) if mss_members(data) else None
            members = mss_members(data).values()
            who = next((w for w, (ins, _) in self.residents.items() if any(ins.encode() in m for m in members)), None)
            if unique_id and who:
                self.filed[unique_id] = who
            error = None if unique_id else ("ARCHIVE_ILLISIBLE", "Archive IHE_XDM.ZIP illisible")
            if original.get("Disposition-Notification-To"):
                self.mail.send(message_from_bytes(build_mdn(original, DUI_MAILBOX, error), policy=policy.SMTP))

    def done(self) -> None:
        if self.worker is not None:
            self.worker.join(10)

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        self.done()
        if "INSi" in question:
            return False
        if "refusé l'envoi" in question:
            return self.refused
        return not self.hides_errors  # shown to the user / kept for a resend

    def ask(self, question: str) -> str:
        self.questions.append(question)
        self.done()
        unique_id = re.search(r"uniqueId ([^)]+)\)", question).group(1)
        for number, who in re.findall(r"(\d+) = ([^;]+?) ;", question):
            if self.filed.get(unique_id) == who.strip():
                return number
        return "0"


@pytest.fixture
def attended(tmp_path):
    started: list = []

    def start(tester: MailTester, wait: float = 3.0) -> LiveEnvironment:
        (tmp_path / "exports").mkdir(exist_ok=True)
        config = DuiConfig(mode="accompagne", attente_s=wait, export_dir=tmp_path / "exports")
        env = LiveEnvironment(dui_config=config, services_file=tmp_path / "services.json", tester=tester)
        env.__enter__()
        dui = ReferenceDui(env.insi.url)
        tester.client, tester.env = AdapterClient(dui.start()), env
        tester.mail = MssClient(env.mss.urls, env.pki.files(), frozenset())
        env.driver.settle_s = 0.5
        started.append((env, dui))
        return env

    yield start
    for env, dui in started:
        dui.stop()
        env.close()


def _admitted(env, document: str | None = "CN"):
    """As the MSSanté steps see an attended admission: status and INS read from the export."""
    run = env.admit("unique", id_document=document)
    identity = run.identity()
    return run.admission.resident_id, identity.status, identity.matricule, env.mark()


def _outcomes(findings) -> set[Outcome]:
    return {f.outcome for f in findings}


def test_sent_dlu_and_citizen_rule_pass_in_attended_mode(attended):
    tester = MailTester()
    env = attended(tester)
    rid, status, ins, since = _admitted(env)
    assert status == "QUAL" and ins
    answer = env.driver.send_mss(rid, HOSPITAL)
    assert answer.body["statut"] == "envoye" and f"la BAL « {HOSPITAL} »" in tester.messages[-1]
    assert "(attente maximale : 3 s)" in tester.messages[-1]
    assert _outcomes(check_sent(env.exchanges("mss", since), HOSPITAL)) == {Outcome.PASS}
    since = env.mark()
    env.driver.send_mss(rid, citizen=True)
    assert _outcomes(check_citizen(env.exchanges("mss", since), status, ins)) == {Outcome.PASS}
    unqualified, status, ins, since = _admitted(env, document=None)
    answer = env.driver.send_mss(unqualified, citizen=True)
    assert answer.problem["service"] == "MSS" and status != "QUAL"
    assert _outcomes(check_citizen(env.exchanges("mss", since), status, ins)) == {Outcome.PASS}


@pytest.mark.parametrize("readable", [True, False], ids=["lisible", "illisible"])
def test_received_dlu_is_filed_and_acknowledged(attended, readable):
    tester = MailTester()
    env = attended(tester)
    rid, _, ins, _ = _admitted(env)
    incoming = incoming_dlu(ins, readable=readable)
    env.mss.store.deliver(DUI_MAILBOX, incoming.as_bytes())
    env.driver.fetch_mss()
    tester.done()
    mailbox = [m.data for m in env.mss.store.messages(HOSPITAL)]
    unique_id = document_id(incoming) if readable else None
    findings = check_received(
        env.driver.received_documents(rid), unique_id, mailbox, str(incoming["Message-ID"]), readable
    )
    assert _outcomes(findings) == {Outcome.PASS}, [f.message for f in findings]
    assert any(q.startswith("Dans quel dossier") for q in tester.questions) is readable


@pytest.mark.parametrize(
    "recipient, fetch",
    [("refus-smtp@ch-fictif.mssante.fr", False), ("erreur-integration@ch-fictif.mssante.fr", True)],
    ids=["refus-smtp", "accuse-erreur"],
)
@pytest.mark.parametrize("hides_errors", [False, True], ids=["montree", "cachee"])
def test_operator_error_shown_and_kept_is_asked(attended, recipient, fetch, hides_errors):
    tester = MailTester(hides_errors=hides_errors)
    env = attended(tester)
    rid, *_ = _admitted(env)
    answer = env.driver.send_mss(rid, recipient)
    if fetch:
        assert not answer.error_reported
        env.driver.fetch_mss()
    sending = (answer.body or {}) if not answer.error_reported else answer.problem["envoi"]
    findings = check_error_shown(answer.error_reported, env.driver.mss_sendings(rid), sending.get("id"))
    assert _outcomes(findings) == {Outcome.FAIL if hides_errors else Outcome.PASS}, [f.message for f in findings]
    assert any("montré cette erreur" in q for q in tester.questions)


def test_silent_dui_fails_mss20_within_the_bound(attended):
    env = attended(MailTester(idle=True), wait=0.5)
    rid, _, _, since = _admitted(env)
    assert env.driver.send_mss(rid, HOSPITAL).body is None
    assert _outcomes(check_sent(env.exchanges("mss", since), HOSPITAL)) == {Outcome.FAIL}


def test_mss_operations_need_the_mss_mock(tmp_path):
    config = DuiConfig(mode="accompagne", attente_s=0.5, export_dir=tmp_path)
    with pytest.raises(AttendedError, match="MSSanté simulé"):
        AttendedDriver(ExchangeRecorder("insi"), config, MailTester()).fetch_mss()


def test_the_duis_own_acknowledgement_is_not_a_message_sent_without_request():
    """An MDN the DUI sends to the hospital asks for no MDN (RFC 8098 §2.1): MSS-20 judges only its DLU."""
    fixtures = files("dui_conformance.fixtures") / "mss"

    def sent(number: int, fixture: str) -> Exchange:
        data = (fixtures / fixture).read_bytes()
        headers = {k: str(v) for k, v in message_from_bytes(data, policy=policy.default).items()}  # as the mock keeps
        request = HttpRequest.received("SMTP", "DATA", headers, data, 1024)
        return Exchange(
            f"mss-{number:04d}",
            "mss",
            "2026-01-01T00:00:00Z",
            request,
            "envoi",
            response=HttpResponse(250, {}, "OK"),
            data={"rcpt_to": [HOSPITAL]},
        )

    dlu = sent(1, "message-dlu-valide.eml")
    assert _outcomes(check_sent([sent(2, "mdn-traite.eml"), dlu], HOSPITAL)) == {Outcome.PASS}
    assert _outcomes(check_sent([sent(2, "mdn-traite.eml")], HOSPITAL)) == {Outcome.FAIL}  # no DLU at all


def test_mss20_passes_a_message_whose_only_defect_is_a_peut_kept_under_its_own_id():
    """Issue 17: every failure of the offline checks on a sent message became an MSS-20 failure, a PEUT's too (DMP-56,
    an XDM patientId typed NH). It is an avertissement under DMP-56, at the exchange; MSS-20 passes."""
    data = (FIXTURES_DIR / "mss" / "message-xdm-sans-ins-type-nh.eml").read_bytes()
    headers = {k: str(v) for k, v in message_from_bytes(data, policy=policy.default).items()}
    sent = Exchange("mss-0001", "mss", "t0", HttpRequest.received("SMTP", "DATA", headers, data), "envoi")
    sent.response = HttpResponse(250, {}, "OK")
    sent.data["rcpt_to"] = [HOSPITAL]
    findings = check_sent([sent], HOSPITAL)
    assert [(f.requirement, f.outcome) for f in findings] == [("MSS-20", Outcome.PASS), ("DMP-56", Outcome.ADVISORY)]
    assert findings[1].location.exchange == "mss-0001"


@pytest.mark.parametrize(
    ("defects", "outcome"),
    [((), Outcome.PASS), (("mss-patient-inconnu-autre-dossier",), Outcome.FAIL)],
    ids=["correct", "mss-patient-inconnu-autre-dossier"],
)
def test_a_dlu_for_no_resident_is_filed_nowhere_and_waits_in_the_worklist(tmp_path, defects, outcome):
    """The reference DUI keeps a worklist (GET /mssante/a-rapprocher): the document waits there, in no record."""
    with LiveEnvironment(reference_defects=frozenset(defects), services_file=tmp_path / "services.json") as env:
        env.reset()
        rid = env.admit("unique", id_document="CN").admission.resident_id
        assert UNKNOWN_PATIENT_INS not in {p.matricule for p in env.insi.personas}
        incoming = incoming_dlu(UNKNOWN_PATIENT_INS)
        env.mss.store.deliver(DUI_MAILBOX, incoming.as_bytes())
        env.driver.fetch_mss()
        worklist = env.driver.pending_mss_documents()
        mailbox = [m.data for m in env.mss.store.messages(HOSPITAL)]
        findings = check_unknown_patient(
            env.driver.received_documents(rid), worklist, document_id(incoming), mailbox, str(incoming["Message-ID"])
        )
    assert [d["uniqueId"] for d in worklist or []] == ([document_id(incoming)] if outcome is Outcome.PASS else [])
    assert _outcomes(findings) == {outcome}, [f.message for f in findings]
    if outcome is Outcome.FAIL:
        assert len(findings) == 2  # filed under the resident, and acknowledged processed


UNKNOWN_PATIENT = ("INS_INCONNU", "Patient inconnu du DUI destinataire")  # a DUI without worklist answers so


def _mdn(incoming, error) -> list[bytes]:
    """The sender's mailbox holding the DUI's acknowledgement of ``incoming`` (processed, or ``error``)."""
    return [build_mdn(incoming, DUI_MAILBOX, error)]


def test_a_dlu_for_no_resident_may_wait_in_the_worklist_but_never_in_a_record():
    incoming = incoming_dlu(UNKNOWN_PATIENT_INS)
    uid, mid = document_id(incoming), str(incoming["Message-ID"])
    queued = [{"uniqueId": uid}]
    cases = {
        "liste de travail, accusé en attente": ([], queued, [], Outcome.PASS),
        "liste de travail, accusé processed": ([], queued, _mdn(incoming, None), Outcome.PASS),
        "sans liste, accusé d'erreur": ([], None, _mdn(incoming, UNKNOWN_PATIENT), Outcome.PASS),
        "sans liste, accusé processed": ([], None, _mdn(incoming, None), Outcome.FAIL),
        "liste vide, sans accusé": ([], [], [], Outcome.FAIL),
        "dans un dossier et la liste": ([{"uniqueId": uid}], queued, _mdn(incoming, None), Outcome.FAIL),
    }
    for case, (documents, worklist, mailbox, outcome) in cases.items():
        findings = check_unknown_patient(documents, worklist, uid, mailbox, mid)
        assert _outcomes(findings) == {outcome}, (case, [f.message for f in findings])


def _submitted(number: int, fixture: str, message_id: str | None = None) -> Exchange:
    """A fixture message as the operator mock records the DUI's submission of it."""
    data = (files("dui_conformance.fixtures") / "mss" / fixture).read_bytes()
    headers = {k: str(v) for k, v in message_from_bytes(data, policy=policy.default).items()}
    request = HttpRequest.received("SMTP", "DATA", headers, data, 1024 * 1024)
    exchange = Exchange(f"mss-{number:04d}", "mss", "2026-01-01T00:00:00Z", request, "envoi")
    exchange.data.update({"rcpt_to": [HOSPITAL], "message_id": message_id or headers["Message-ID"]})
    return exchange


def test_vague2_rules_on_what_the_dui_sent():
    rules = MssRules()
    two = [_submitted(1, "message-dlu-valide.eml", "<a@b.fr>"), _submitted(2, "message-dlu-valide.eml", "<c@d.fr>")]
    assert _outcomes(check_sent_vague2(two, ["MSS-32", "MSS-36", "MSS-38"], rules)) == {Outcome.PASS}
    same = [_submitted(1, "message-dlu-valide.eml"), _submitted(2, "message-dlu-valide.eml")]
    assert [f.requirement for f in check_sent_vague2(same, ["MSS-32"], rules) if f.outcome is Outcome.FAIL] == [
        "MSS-32"
    ]
    assert _outcomes(check_sent_vague2([_submitted(1, "message-sans-nil.eml")], ["MSS-36"], rules)) == {Outcome.FAIL}
    assert _outcomes(check_sent_vague2([], ["MSS-36"], rules)) == {Outcome.FAIL}
    assert _outcomes(check_delivery_requested(two, rules)) == {Outcome.FAIL}  # the fixture asks for no DSN


def test_reply_names_the_received_message():
    answered = "<demande-0001@ch-fictif.mssante.fr>"
    assert _outcomes(check_reply([_submitted(1, "message-reponse.eml")], answered)) == {Outcome.PASS}
    assert _outcomes(check_reply([_submitted(1, "message-reponse.eml")], "<autre@x.fr>")) == {Outcome.FAIL}
    bare = [_submitted(1, "message-reponse-sans-references.eml")]
    assert _outcomes(check_reply(bare, answered)) == {Outcome.FAIL}


def test_delivery_shown_needs_the_state_and_the_reason():
    sent = {"id": "M1", "distribution": "non-distribue", "erreur": "Non distribué : 552 5.2.2 Boîte pleine"}
    assert _outcomes(check_delivery_shown([sent], "M1", False, "5.2.2")) == {Outcome.PASS}
    assert _outcomes(check_delivery_shown([{**sent, "erreur": "Erreur"}], "M1", False, "5.2.2")) == {Outcome.FAIL}
    assert _outcomes(check_delivery_shown([{**sent, "distribution": None}], "M1", True, "")) == {Outcome.FAIL}
    assert _outcomes(check_delivery_shown([], "M1", True, "")) == {Outcome.FAIL}


def test_strict_match_and_single_filing():
    assert _outcomes(check_held_for_matching([], [{"uniqueId": "u1"}], "u1")) == {Outcome.PASS}
    assert _outcomes(check_held_for_matching([{"uniqueId": "u1"}], [], "u1")) == {Outcome.FAIL}
    assert _outcomes(check_held_for_matching([], None, "u1")) == {Outcome.FAIL}  # no worklist kept
    old, new = {"uniqueId": "u1", "remplacePar": "u2"}, {"uniqueId": "u2"}
    assert _outcomes(check_filed_once([old, new], "u1", "u2")) == {Outcome.PASS}
    assert _outcomes(check_filed_once([old, old, new], "u1", "u2")) == {Outcome.FAIL}
    assert _outcomes(check_filed_once([{"uniqueId": "u1"}, new], "u1", "u2")) == {Outcome.FAIL}
    assert _outcomes(check_filed_once([old], "u1", "u2")) == {Outcome.FAIL}


def test_a_newer_version_replaces_its_parent_and_carries_the_traits():
    first = incoming_dlu("248055145412365")
    newer = incoming_dlu("248055145412365", replaces=document_id(first))
    cda = next(iter(mss_members(newer.as_bytes()).values()))
    assert document_id(newer) != document_id(first)
    assert b'typeCode="RPLC"' in cda and f'root="{document_id(first)}"'.encode() in cda
    assert b'<versionNumber value="2"/>' in cda
