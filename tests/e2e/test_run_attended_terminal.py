"""Attended mode end to end with the real command line under a pseudo-terminal (issue 7, point 6; MSSanté, issue 8).

The test plays the tester: it reads the French instructions on the terminal, performs each admission in
the DUI (the reference DUI in its own process, operated through its adapter as a person would through its
screens), and answers the questions typed on the terminal.
"""

from __future__ import annotations

import base64
import imaplib
import json
import re
import smtplib
import ssl
import subprocess
import sys
import time
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from importlib.resources import files
from urllib.parse import urlsplit

import pexpect
import pytest
import requests

from dui_conformance.live.mss import DUI_MAILBOX
from dui_conformance.mocks.mss.mdn import build_mdn
from dui_conformance.mss import is_mdn, mss_members, parse_message
from dui_conformance.xds.build import xdm_package

pytestmark = pytest.mark.live

ADMIT = re.compile(
    r"Admettez (M\.|Mme) (\S+) (.+?), née? le (\S+?)(?: \(lieu de naissance (\w+)\))? en saisissant "
    r"ses traits, (?:sur présentation de la pièce d'identité « (\w+) »|sans pièce d'identité)"
)


@pytest.fixture
def reference_dui_process(free_ports):
    insi, dmp, dui = free_ports(3)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dui_conformance.mocks.dui",
            "--insi",
            f"http://127.0.0.1:{insi}/lps",
            "--dmp",
            f"http://127.0.0.1:{dmp}/dmp",
            "--port",
            str(dui),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{dui}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/sante", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url, insi, dmp
    proc.terminate()
    proc.wait(timeout=10)


def test_attended_run_in_a_terminal(reference_dui_process, tmp_path):
    url, insi, dmp = reference_dui_process
    config = tmp_path / "dui.toml"
    config.write_text(
        f'[dui]\nmode = "accompagne"\nadapter_url = "{url}"\nattente_s = 20\n\n'
        f"[services]\ninsi = {insi}\ndmp = {dmp}\n",
        encoding="utf-8",
    )
    reports = tmp_path / "rapport"
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "dui_conformance",
            "run",
            "--dui",
            str(config),
            "--exigence",
            "INS-24",
            "--report-dir",
            str(reports),
            "--quiet",
        ],
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 500),
        cwd=str(tmp_path),
    )
    admitted, seen_countdown = [], False
    try:
        while True:
            found = child.expect(
                [
                    r"Action à réaliser dans le DUI\S*\s*: (.+?\(attente maximale : \d+ s\))",
                    r"attente :\s+\d+ s restantes",
                    r"a-t-il affiché une erreur[^\[]*\[o/n\]",
                    r"Identifiant dans le DUI de .*?adaptateur\)",
                    pexpect.EOF,
                ]
            )
            if found == 0:
                match = ADMIT.search(child.match.group(1))
                assert match, child.match.group(1)
                civility, birth_name, first_names, birth_date, place, piece = match.groups()
                body = {
                    "nomNaissance": birth_name,
                    "prenoms": first_names.split(),
                    "sexe": "F" if civility == "Mme" else "M",
                    "dateNaissance": birth_date,
                    "lieuNaissance": place,
                    "pieceIdentite": piece,
                }
                admitted.append(requests.post(f"{url}/residents", json=body, timeout=10).json()["id"])
            elif found == 1:
                seen_countdown = True
            elif found == 2:
                child.sendline("n")
            elif found == 3:
                child.sendline(admitted[-1])
            else:
                break
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert len(admitted) == 2 and seen_countdown
    report = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    outcome = {r["id"]: r["outcome"] for r in report["requirements"]}
    assert outcome["INS-24"] == "pass"


def test_attended_run_without_a_terminal_is_a_usage_error_at_once(tmp_path):
    config = tmp_path / "dui.toml"
    config.write_text('[dui]\nmode = "accompagne"\nexport_dir = "exports"\n', encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "dui_conformance", "run", "--dui", str(config), "--report-dir", str(tmp_path / "r")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
        cwd=str(tmp_path),
    )
    assert proc.returncode == 2
    assert "exige un terminal" in " ".join((proc.stdout + proc.stderr).split())
    assert time.monotonic() - started < 30 and not (tmp_path / "r" / "report.json").exists()


# --- MSSanté (MSS-20…23): the tester works the DUI's mail client by hand ---------------------------------

QUESTION = re.compile(r"(?:\x1b\[[\d;]*m)?([^\n\x1b]*) \[o/n\]")  # the question, without its bold code
INSTRUCTION = r"Action à réaliser dans le DUI\S*\s*: ([^\r\n]+)"  # one line (pexpect matches with DOTALL)


class MailDesk:
    """What a tester does in the DUI's MSSanté screens, done with smtplib and imaplib against the operator mock,
    with the DUI's applicative mailbox and certificate read from services-simules.json (written whole)."""

    def __init__(self, services_file):
        self.services_file, self.answers = services_file, []
        self.residents: set[str] = set()  # INS matricules of the residents admitted in the DUI
        self.unmatched = False  # the last document read carries no resident's INS: filed in no record

    def _mss(self) -> tuple[dict, ssl.SSLContext]:
        mss = json.loads(self.services_file.read_text(encoding="utf-8"))["mss"]
        context = ssl.create_default_context(cafile=mss["tls"]["racine"])
        context.load_cert_chain(mss["tls"]["certificat_client"], mss["tls"]["cle_client"])
        return mss, context

    def send_dlu(self, recipient: str) -> None:
        mss, context = self._mss()
        cda = (files("dui_conformance.fixtures") / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"], msg["To"] = DUI_MAILBOX, recipient
        msg["Subject"] = "XDM/1.0/DDM+Dossier de liaison d'urgence FICTIVE Marie 15/03/1947"
        msg["Date"], msg["Message-ID"] = (
            format_datetime(datetime.now().astimezone()),
            make_msgid(domain="ehpad.mssante.fr"),
        )
        msg["X-MSS-CODECDA"], msg["X-MSS-INS"], msg["Disposition-Notification-To"] = "74207-2", "O", DUI_MAILBOX
        msg.set_content("Dossier de liaison d'urgence ci-joint (données fictives).\n")
        msg.add_attachment(xdm_package([cda]), maintype="application", subtype="zip", filename="IHE_XDM.ZIP")
        self._submit(msg.as_bytes(), recipient)

    def _submit(self, data: bytes, recipient: str) -> None:
        mss, context = self._mss()
        url = urlsplit(mss["smtps"])
        try:
            with smtplib.SMTP_SSL(url.hostname, url.port, context=context, timeout=10) as client:
                client.ehlo()
                assert client.docmd("AUTH", "EXTERNAL " + base64.b64encode(DUI_MAILBOX.encode()).decode())[0] == 235
                client.sendmail(DUI_MAILBOX, [recipient], data)
        except smtplib.SMTPException as refusal:  # the operator's 5xx: what the DUI shows its user
            self.answers.append(refusal)

    def read_inbox(self) -> list[bytes]:
        """Read and remove every message; acknowledge each one that asks for it (processed, or processed/Error
        when its archive is unreadable or its INS no resident's), as the DUI's integration would."""
        mss, context = self._mss()
        url = urlsplit(mss["imaps"])
        with imaplib.IMAP4_SSL(url.hostname, url.port, ssl_context=context, timeout=10) as imap:
            imap.authenticate("EXTERNAL", lambda _: DUI_MAILBOX.encode())
            imap.select("INBOX")
            numbers = (imap.search(None, "ALL")[1][0] or b"").split()
            messages = [imap.fetch(n, "(RFC822)")[1][0][1] for n in numbers]
            for number in numbers:
                imap.store(number, "+FLAGS", "\\Deleted")
            imap.expunge()
        for data in messages:
            original = message_from_bytes(data, policy=policy.SMTP)
            if is_mdn(parse_message(data)) or not original["Disposition-Notification-To"]:
                continue
            members = list(mss_members(data).values())
            self.unmatched = bool(members) and not any(ins.encode() in m for m in members for ins in self.residents)
            error = None
            if not members:
                error = ("ARCHIVE_ILLISIBLE", "Archive IHE_XDM.ZIP illisible")
            elif self.unmatched:
                error = ("INS_INCONNU", "Patient inconnu du DUI destinataire")
            self._submit(build_mdn(original, DUI_MAILBOX, error), str(original["Disposition-Notification-To"]))
        return messages

    def reply(self, original: bytes, threaded: bool) -> None:
        """Answer a received message from the DUI's mailbox; ``threaded``: naming it (In-Reply-To, References) as
        a conformant DUI does, else as a DUI that forgets it."""
        received = message_from_bytes(original, policy=policy.SMTP)
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"], msg["To"], msg["Subject"] = DUI_MAILBOX, received["From"], f"Re: {received['Subject']}"
        msg["Date"], msg["Message-ID"] = (
            format_datetime(datetime.now().astimezone()),
            make_msgid(domain="ehpad.mssante.fr"),
        )
        if threaded:
            msg["In-Reply-To"], msg["References"] = received["Message-ID"], received["Message-ID"]
        msg.set_content("Bien reçu (réponse de test, fictive).\n")
        self._submit(msg.as_bytes(), str(received["From"]))


def _admit(url: str, action: str) -> dict:
    """Admit the resident an instruction names, in the reference DUI, as the tester would in its screens."""
    civility, birth_name, first_names, birth_date, place, piece = ADMIT.search(action).groups()
    body = {
        "nomNaissance": birth_name,
        "prenoms": first_names.split(),
        "dateNaissance": birth_date,
        "sexe": "F" if civility == "Mme" else "M",
        "lieuNaissance": place,
        "pieceIdentite": piece,
    }
    return requests.post(f"{url}/residents", json=body, timeout=10).json()


def _attended_mss_run(tmp_path, config_text: str, requirements: list[str], wave: int = 1):
    config, reports = tmp_path / "dui.toml", tmp_path / "rapport"
    config.write_text(config_text, encoding="utf-8")
    args = [
        "-m",
        "dui_conformance",
        "run",
        "--dui",
        str(config),
        "--report-dir",
        str(reports),
        "--quiet",
        "--vague",
        str(wave),
        "--sortie-services",
        str(tmp_path / "services-simules.json"),
    ]
    for requirement in requirements:
        args += ["--exigence", requirement]
    return pexpect.spawn(
        sys.executable, args, encoding="utf-8", timeout=60, dimensions=(50, 500), cwd=str(tmp_path)
    ), reports


def _outcomes(reports) -> dict[str, str]:
    report = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    return {r["id"]: r["outcome"] for r in report["requirements"]}


def test_attended_mss_run_in_a_terminal(reference_dui_process, tmp_path):
    """MSS-20, MSS-22 and MSS-23 driven by hand: the DLU sent over SMTPS; the DUI's mailbox read over IMAPS, a
    received DLU filed in the resident's record (the tester names it) and acknowledged, an unreadable one and one
    for a patient who is no resident answered with an error MDN (the latter filed nowhere); the operator's 5xx
    and error MDN shown and the message kept (the tester says so)."""
    url, insi, dmp = reference_dui_process
    child, reports = _attended_mss_run(
        tmp_path,
        f'[dui]\nmode = "accompagne"\nadapter_url = "{url}"\nattente_s = 15\n\n'
        f"[services]\ninsi = {insi}\ndmp = {dmp}\n",
        ["MSS-20", "MSS-22", "MSS-23"],
    )
    desk, admitted, sent, read, questions = MailDesk(tmp_path / "services-simules.json"), [], [], [], []
    started = time.monotonic()
    try:
        while True:
            found = child.expect(
                [
                    INSTRUCTION,
                    QUESTION,
                    r"Identifiant dans le DUI de .*?adaptateur\)",
                    r"Dans quel dossier [^\r\n]*?Répondez par le numéro",
                    pexpect.EOF,
                ]
            )
            if found == 0:
                action = child.match.group(1)
                if action.startswith("Admettez"):
                    resident = _admit(url, action)
                    admitted.append(resident["id"])
                    if resident["ins"]:
                        desk.residents.add(resident["ins"]["matricule"])
                elif action.startswith("Envoyez par MSSanté"):
                    sent.append(re.search(r"à la BAL « ([^»]+) »", action).group(1))
                    desk.send_dlu(sent[-1])
                elif action.startswith("Relevez la messagerie MSSanté du DUI"):
                    read += desk.read_inbox()
                else:
                    pytest.fail(f"action inattendue : {action}")
            elif found == 1:
                question = child.match.group(1)
                questions.append(question)
                child.sendline("n" if "INSi" in question or "refusé l'envoi" in question else "o")
            elif found == 2:
                child.sendline(admitted[-1])
            elif found == 3:  # filed in the record of the resident admitted for this scenario, or in none
                questions.append(child.match.group(0))
                child.sendline("0" if desk.unmatched else str(len(admitted)))
            else:
                break
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert sent == [
        "urgences@ch-fictif.mssante.fr",
        "refus-smtp@ch-fictif.mssante.fr",
        "erreur-integration@ch-fictif.mssante.fr",
    ]
    assert len(desk.answers) == 1 and len(read) == 4  # the 5xx at the SMTP desk; three DLUs and an error MDN read
    assert sum("montré cette erreur" in q for q in questions) == 2 and any("accusé d'erreur" in q for q in questions)
    assert sum(q.startswith("Dans quel dossier") for q in questions) == 2  # the readable DLUs: a resident's, no one's
    assert {k: v for k, v in _outcomes(reports).items() if k in ("MSS-20", "MSS-21", "MSS-22", "MSS-23")} == {
        "MSS-20": "pass",
        "MSS-21": "omit",
        "MSS-22": "pass",
        "MSS-23": "pass",
    }  # MSS-21 not selected
    assert time.monotonic() - started < 60


def test_attended_mss_run_with_an_idle_tester_fails_within_the_bound(tmp_path):
    """The tester does nothing in the DUI: each action is waited for at most attente_s, the one question asked
    (did the DUI refuse the sending?) is answered « n », and MSS-20 is not conformant, without a hang."""
    (tmp_path / "exports").mkdir()
    child, reports = _attended_mss_run(
        tmp_path, '[dui]\nmode = "accompagne"\nexport_dir = "exports"\nattente_s = 2\n', ["MSS-20"]
    )
    started, actions, questions, countdown = time.monotonic(), [], [], False
    try:
        while True:
            found = child.expect([INSTRUCTION, QUESTION, r"attente :\s+\d+ s restantes", pexpect.EOF], timeout=30)
            if found == 0:
                actions.append(child.match.group(1))
            elif found == 1:
                questions.append(child.match.group(1))
                child.sendline("n")
            elif found == 2:
                countdown = True
            else:
                break
    finally:
        child.close()
    elapsed = time.monotonic() - started
    assert [a.split(" ", 1)[0] for a in actions] == ["Admettez", "Exportez", "Envoyez"] and countdown
    assert questions == ["Le DUI a-t-il refusé l'envoi MSSanté ou affiché une erreur ?"]
    report = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    [mss20] = [r for r in report["requirements"] if r["id"] == "MSS-20"]
    # nothing exported, nothing sent: the identity is unknown, so MSS-20 is not concluded (never a pass)
    assert child.exitstatus != 0 and mss20["outcome"] == "skip", child.before
    assert "Préalable non obtenu" in mss20["findings"][0]["message"]
    assert elapsed < 45


def test_attended_mss_citizen_mailbox_only_for_a_qualified_identity(reference_dui_process, tmp_path):
    """MSS-21 driven by hand: for the resident admitted without an identity document the DUI refuses to write to
    Mon espace santé (the tester sends nothing and says so once the short wait is over); for the qualified one the
    tester sends the DLU to <INS>@patient.mssante.fr. Both scenarios pass, within a bound set by attente_s."""
    url, insi, dmp = reference_dui_process
    child, reports = _attended_mss_run(
        tmp_path,
        f'[dui]\nmode = "accompagne"\nadapter_url = "{url}"\nattente_s = 3\n\n[services]\ninsi = {insi}\ndmp = {dmp}\n',
        ["MSS-21"],
    )
    desk, admitted, sent, questions = MailDesk(tmp_path / "services-simules.json"), [], [], []
    started = time.monotonic()
    try:
        while True:
            found = child.expect([INSTRUCTION, QUESTION, r"Identifiant dans le DUI de .*?adaptateur\)", pexpect.EOF])
            if found == 0:
                action = child.match.group(1)
                if action.startswith("Admettez"):
                    admitted.append(_admit(url, action))
                elif "Mon espace santé" in action and admitted[-1]["statut"] == "QUAL":
                    sent.append(f"{admitted[-1]['ins']['matricule']}@patient.mssante.fr")
                    desk.send_dlu(sent[-1])
                elif "Mon espace santé" not in action:
                    pytest.fail(f"action inattendue : {action}")
            elif found == 1:
                questions.append(child.match.group(1))
                child.sendline("o" if "refusé l'envoi" in child.match.group(1) else "n")
            elif found == 2:
                child.sendline(admitted[-1]["id"])
            else:
                break
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert [a["statut"] == "QUAL" for a in admitted] == [False, True] and len(sent) == 1
    assert "Le DUI a-t-il refusé l'envoi MSSanté ou affiché une erreur ?" in questions
    assert _outcomes(reports)["MSS-21"] == "pass"
    assert time.monotonic() - started < 60


# --- DMP consultation (DMP-68, DMP-69, vague 2): the tester opens the record and reads what it shows ------------

STATES = ["ouvert", "absent", "acces-refuse", "opposition", "non-interroge"]  # the order of the harness's menu
MENU = r"(Quel état|Combien d'autres|Que montre le dossier du volet|Quelle date)[^\r\n]*?pour arrêter\)"


def _screen_date(creation_time: str) -> str:
    t = creation_time
    return f"{t[6:8]}/{t[4:6]}/{t[:4]} {t[8:10]}:{t[10:12]}"


@pytest.mark.parametrize("misread", [False, True], ids=["lecture-exacte", "date-du-vsm-mal-lue"])
def test_attended_dmp_opening_read_by_the_tester(reference_dui_process, tmp_path, misread):
    """DMP-68 and DMP-69 decided in attended mode: the tester opens the record in the reference DUI (its adapter
    plays its screens) and answers what the record shows, read from the DUI's own view. Read right, both pass; the
    older VSM's date given for the latest (a wrong answer), DMP-69 fails and DMP-68 still passes."""
    url, insi, dmp = reference_dui_process
    config, reports = tmp_path / "dui.toml", tmp_path / "rapport"
    config.write_text(
        f'[dui]\nmode = "accompagne"\nadapter_url = "{url}"\nattente_s = 15\n\n'
        f"[services]\ninsi = {insi}\ndmp = {dmp}\n",
        encoding="utf-8",
    )
    args = ["-m", "dui_conformance", "run", "--dui", str(config), "--report-dir", str(reports), "--quiet"]
    child = pexpect.spawn(
        sys.executable,
        [*args, "--vague", "2", "--exigence", "DMP-69"],
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 500),
        cwd=str(tmp_path),
    )
    admitted, view, opened = [], {}, []
    try:
        while True:
            found = child.expect(
                [INSTRUCTION, QUESTION, r"Identifiant dans le DUI de .*?adaptateur\)", MENU, pexpect.EOF]
            )
            if found == 0:
                action = child.match.group(1)
                if action.startswith("Admettez"):
                    admitted.append(_admit(url, action)["id"])
                elif action.startswith("Enregistrez dans le DUI"):
                    body = {"nonOpposition": "ne s'oppose pas" in action}
                    opened.append(requests.post(f"{url}/residents/{admitted[-1]}/ouverture", json=body, timeout=30))
                    view = requests.get(f"{url}/residents/{admitted[-1]}/dmp", timeout=10).json()
                else:
                    pytest.fail(f"action inattendue : {action}")
            elif found == 1:
                question = child.match.group(1)
                shown = {d["uniqueId"] for d in view.get("documents") or []}
                if "INSi" in question:
                    yes = False
                elif "ouvert à l'écran" in question:
                    yes = bool(opened) and opened[-1].ok
                elif "comme qualifiée" in question:
                    yes = view["insQualifiee"]
                elif "liste des documents du DMP" in question:
                    yes = view["documents"] is not None
                elif question.startswith("La liste montre-t-elle le document"):
                    yes = re.search(r"uniqueId ([^)]+)\)", question).group(1) in shown
                else:
                    pytest.fail(f"question inattendue : {question}")
                child.sendline("o" if yes else "n")
            elif found == 2:
                child.sendline(admitted[-1])
            elif found == 3:
                asked, line = child.match.group(1), child.match.group(0)
                if asked == "Quel état":
                    child.sendline(str(STATES.index(view["statutDmp"]) + 1))
                elif asked == "Combien d'autres":
                    child.sendline("0")
                elif asked.startswith("Que montre"):
                    vsm = view["vsm"]
                    child.sendline("0" if vsm is None else "1" if vsm["disponible"] else "2")
                else:
                    options = dict((label, n) for n, label in re.findall(r"(\d+) = (\d\d/\d\d/\d{4} \d\d:\d\d)", line))
                    right = options[_screen_date(view["vsm"]["date"])]
                    child.sendline(next(n for n in options.values() if n != right) if misread else right)
            else:
                break
    finally:
        child.close()
    assert len(opened) == 1 and opened[0].ok, child.before
    outcomes = _outcomes(reports)
    assert outcomes["DMP-68"] == "pass"
    assert outcomes["DMP-69"] == ("fail" if misread else "pass")
    assert child.exitstatus == (3 if misread else 0), child.before  # 3: non conforme


# --- MSSanté vague 2 (MSS-33, MSS-39): a reply from the DUI's mail screens, the worklist read by the tester ------


@pytest.mark.parametrize("defective", [False, True], ids=["dui-conforme", "reponse-sans-fil-et-sans-liste"])
def test_attended_mss_reply_and_worklist(reference_dui_process, tmp_path, defective):
    """MSS-33 and MSS-39 decided in attended mode. The tester reads the DUI's mailbox, files the readable DLU in the
    resident's record and the one whose traits differ in none, answers the received message and reads the worklist.
    A conformant DUI passes both; one whose reply does not name the message and that keeps no worklist (the tester
    says so) fails both."""
    url, insi, dmp = reference_dui_process
    child, reports = _attended_mss_run(
        tmp_path,
        f'[dui]\nmode = "accompagne"\nadapter_url = "{url}"\nattente_s = 15\n\n'
        f"[services]\ninsi = {insi}\ndmp = {dmp}\n",
        ["MSS-33", "MSS-39"],
        wave=2,
    )
    desk, admitted, read, filed = MailDesk(tmp_path / "services-simules.json"), [], [], []
    try:
        while True:
            found = child.expect(
                [
                    INSTRUCTION,
                    QUESTION,
                    r"Identifiant dans le DUI de .*?adaptateur\)",
                    r"Dans quel dossier [^\r\n]*?Répondez par le numéro",
                    pexpect.EOF,
                ]
            )
            if found == 0:
                action = child.match.group(1)
                if action.startswith("Admettez"):
                    admitted.append(_admit(url, action)["id"])
                elif action.startswith("Relevez la messagerie MSSanté du DUI"):
                    read += desk.read_inbox()
                elif action.startswith("Dans la messagerie MSSanté du DUI"):
                    wanted = re.search(r"répondez au message reçu (<[^>]+>)", action).group(1)
                    [original] = [m for m in read if wanted.encode() in m]
                    desk.reply(original, threaded=not defective)
                else:
                    pytest.fail(f"action inattendue : {action}")
            elif found == 1:
                question = child.match.group(1)
                no = "INSi" in question or "refusé cette réponse" in question
                child.sendline("n" if no or (defective and "liste de travail" in question) else "o")
            elif found == 2:
                child.sendline(admitted[-1])
            elif found == 3:  # the first scenario's DLU is the resident's; the second's traits differ: in no record
                filed.append("1" if not filed else "0")
                child.sendline(filed[-1])
            else:
                break
    finally:
        child.close()
    assert filed == ["1", "0"], child.before
    outcomes = _outcomes(reports)
    assert (outcomes["MSS-33"], outcomes["MSS-39"]) == (("fail", "fail") if defective else ("pass", "pass"))
