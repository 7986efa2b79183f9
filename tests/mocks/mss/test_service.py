"""The MSSanté operator mock with unmodified clients: smtplib, imaplib and curl over TLS.

One mock for the module (start-up ≈ 0.2 s); each test uses its own sender or recipient and
looks only at exchanges recorded since it began.
"""

from __future__ import annotations

import base64
import imaplib
import json
import shutil
import smtplib
import ssl
import subprocess
import threading
import time
import urllib.request
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from dui_conformance.live.mss_auth import TOKEN_UNREADABLE, TOKEN_UNVERIFIED, api_lps, check_api_lps_tls
from dui_conformance.live.transport import check_tls_version
from dui_conformance.mocks.common import TestPki
from dui_conformance.mocks.mss import DEFAULT_PASSWORD, MssMock
from dui_conformance.mocks.mss.auth import TokenFacts
from dui_conformance.model import Outcome
from dui_conformance.mss import check_message_data
from dui_conformance.mss.submission import check_submission

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "mss"
EHPAD = "secretariat@ehpad-les-tilleuls.mssante.fr"
APP = "dui@ehpad-les-tilleuls.mssante.fr"
PRO = "paul.coordonnateur-fictif@ehpad-les-tilleuls.mssante.fr"
JEANNE = "jeanne.urgentiste-fictif@ch-fictif.mssante.fr"  # her mailbox gets the DSNs only
PHARMACY = "sarah.officine-fictive@pharmacien.mssante.fr"
PATIENT = "248055145412365@patient.mssante.fr"
OTHER_PATIENT = "247037511412331@patient.mssante.fr"
TOKEN = "jeton-de-test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return TestPki(tmp_path_factory.mktemp("pki"))


def read_token(token: str) -> TokenFacts:
    """Stands for Pro Santé Connect: TOKEN is good, any other is not."""
    return TokenFacts(TOKEN_UNVERIFIED) if token == TOKEN else TokenFacts(TOKEN_UNREADABLE, "jeton inconnu")


@pytest.fixture(scope="module")
def mss(pki):
    with MssMock(pki, token_reader=read_token, slow_seconds=0.5, patient_may_write_to=(PHARMACY,)) as mock:
        yield mock


def port(mss, name: str) -> int:
    return int(mss.urls[name].rsplit(":", 1)[1])


def message(
    sender: str = EHPAD,
    to: str = "urgences@ch-fictif.mssante.fr",
    fixture: str = "message-dlu-valide.eml",
    message_id: str | None = None,
) -> bytes:
    msg = BytesParser(policy=policy.SMTP).parsebytes((FIXTURES / fixture).read_bytes())
    replacements = {"From": sender, "To": to, "Message-ID": message_id}
    if "Disposition-Notification-To" in msg:
        replacements["Disposition-Notification-To"] = sender
    for name, value in replacements.items():
        if value:
            del msg[name]
            msg[name] = value
    return msg.as_bytes()


def submissions(mss, since: int = 0) -> list:
    """What the mock recorded of messages (sent or refused), without the authentications and session ends."""
    return [e for e in mss.exchanges(since) if not e.operation.startswith(("connexion", "fin de session"))]


def failing(exchange) -> list[str]:
    """The requirements the library's check of a recorded submission fails."""
    return [f.requirement for f in check_submission(exchange) if f.outcome is Outcome.FAIL]


def smtps(mss, pki, login: str = EHPAD) -> smtplib.SMTP_SSL:
    client = smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=pki.client_context(), timeout=10)
    client.login(login, DEFAULT_PASSWORD)
    return client


def inbox(mss, pki, login: str) -> list[bytes]:
    with imaplib.IMAP4_SSL("127.0.0.1", port(mss, "imaps"), ssl_context=pki.client_context(), timeout=10) as imap:
        imap.login(login, DEFAULT_PASSWORD)
        imap.select("INBOX")
        _, ids = imap.search(None, "ALL")
        return [imap.fetch(i, "(RFC822)")[1][0][1] for i in ids[0].split()]


def test_smtps_and_starttls_deliver_with_tls_facts(mss, pki):
    since = mss.recorder.mark()
    with smtps(mss, pki) as client:
        client.sendmail(EHPAD, ["claire.soignante-fictive@ehpad-les-tilleuls.mssante.fr"], message())
    with smtplib.SMTP("127.0.0.1", port(mss, "smtp"), timeout=10) as client:
        client.starttls(context=pki.client_context(with_certificate=False))
        client.login(EHPAD, DEFAULT_PASSWORD)
        client.sendmail(EHPAD, ["claire.soignante-fictive@ehpad-les-tilleuls.mssante.fr"], message())
    first, second = submissions(mss, since)
    assert first.transport["scheme"] == "smtps" and first.transport["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert "CN=DUI-TEST-BAL-APPLICATIVE" in first.transport["client_subject"]
    assert second.transport == {
        "scheme": "smtp+starttls",
        "tls_version": second.transport["tls_version"],
        "client_subject": None,
        "cipher": second.transport["cipher"],
    }
    assert failing(first) == [] and first.data["login"] == EHPAD and first.response.status == 250
    assert len(inbox(mss, pki, "claire.soignante-fictive@ehpad-les-tilleuls.mssante.fr")) >= 2


def test_processed_and_error_mdn_come_back_over_imap(mss, pki):
    with smtps(mss, pki, PRO) as client:
        client.sendmail(PRO, ["urgences@ch-fictif.mssante.fr"], message(PRO, message_id="<ok-1@ehpad.mssante.fr>"))
        client.sendmail(
            PRO,
            ["erreur-integration@ch-fictif.mssante.fr"],
            message(PRO, "erreur-integration@ch-fictif.mssante.fr", message_id="<ko-1@ehpad.mssante.fr>"),
        )
        client.sendmail(PRO, ["sans-accuse@ch-fictif.mssante.fr"], message(PRO, "sans-accuse@ch-fictif.mssante.fr"))
    received = inbox(mss, pki, PRO)
    assert len(received) == 2  # the third mailbox never acknowledges
    for data in received:
        findings = check_message_data(data, "mdn.eml")
        assert not [f for f in findings if f.outcome is Outcome.FAIL], [f.message for f in findings]
    dispositions = {}
    for data in received:
        report = BytesParser(policy=policy.default).parsebytes(data).get_payload()[1].get_payload()[0]
        dispositions[report["Original-Message-ID"]] = report["Disposition"]
    assert dispositions["<ok-1@ehpad.mssante.fr>"].endswith("; processed")
    assert "processed/Error: INS_INCONNU^" in dispositions["<ko-1@ehpad.mssante.fr>"]


def test_smtp_refusals_unknown_recipient_and_slow_mailbox(mss, pki):
    since = mss.recorder.mark()
    with smtps(mss, pki) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(EHPAD, ["refus-smtp@ch-fictif.mssante.fr"], message())
        assert refused.value.smtp_code == 554
        with pytest.raises(smtplib.SMTPRecipientsRefused) as unknown:
            client.sendmail(EHPAD, ["personne@ch-fictif.mssante.fr"], message())
        assert unknown.value.recipients["personne@ch-fictif.mssante.fr"][0] == 550
        started = time.monotonic()
        client.sendmail(EHPAD, ["lent@ch-fictif.mssante.fr"], message(to="lent@ch-fictif.mssante.fr"))
        assert time.monotonic() - started >= 0.5
    statuses = [(e.operation, e.response.status) for e in submissions(mss, since)]
    assert statuses == [("envoi", 554), ("refus destinataire", 550), ("envoi", 250)]


def test_a_patient_cannot_start_a_conversation(mss, pki):
    mss.credentials.users[PATIENT] = DEFAULT_PASSWORD
    patient_mail = message(PATIENT, PRO, fixture="message-sans-document.eml")
    with smtps(mss, pki, PATIENT) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail(PATIENT, [PRO], patient_mail)
        client.sendmail(PATIENT, [PHARMACY], patient_mail)  # configured exception
    with smtps(mss, pki, PRO) as client:
        client.sendmail(PRO, [PATIENT], message(PRO, PATIENT))
    with smtps(mss, pki, PATIENT) as client:
        client.sendmail(PATIENT, [PRO], patient_mail)  # a reply, now that the professional wrote first
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail(PATIENT, [OTHER_PATIENT.replace("247", "146")], patient_mail)


def test_recorded_submissions_show_what_the_offline_checks_find_and_clear_text(mss, pki):
    since = mss.recorder.mark()
    with smtps(mss, pki) as client:
        client.sendmail(
            EHPAD,
            ["claire.soignante-fictive@ehpad-les-tilleuls.mssante.fr"],
            message(to="claire.soignante-fictive@ehpad-les-tilleuls.mssante.fr", fixture="message-codecda-absent.eml"),
        )
    with smtplib.SMTP("127.0.0.1", port(mss, "smtp"), timeout=10) as client:
        client.login(EHPAD, DEFAULT_PASSWORD)  # no STARTTLS: served, recorded
        client.sendmail(
            PRO,
            ["claire.soignante-fictive@ehpad-les-tilleuls.mssante.fr"],
            message(PRO, "claire.soignante-fictive@ehpad-les-tilleuls.mssante.fr"),
        )
    faulted, clear = submissions(mss, since)
    assert "MSS-03" in failing(faulted)
    assert failing(clear) == [] and clear.transport["tls_version"] is None
    assert [f.outcome for f in check_tls_version([clear], tls=True)] == [Outcome.FAIL]  # GEN-10's check reads it
    assert (clear.data["login"], clear.data["mail_from"]) == (EHPAD, PRO)  # a sender other than the mailbox


def _sasl(kind: str, user: str, token: str) -> bytes:
    if kind == "XOAUTH2":
        return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
    return f"n,a={user},\x01host=127.0.0.1\x01auth=Bearer {token}\x01\x01".encode()


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_bearer_tokens_over_smtp_and_imap(mss, pki, mechanism):
    with smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=pki.client_context(), timeout=10) as client:
        client.ehlo()
        code, _ = client.docmd("AUTH", f"{mechanism} {base64.b64encode(_sasl(mechanism, PRO, 'faux')).decode()}")
        assert code == 535
        code, _ = client.docmd("AUTH", f"{mechanism} {base64.b64encode(_sasl(mechanism, PRO, TOKEN)).decode()}")
        assert code == 235
    with imaplib.IMAP4_SSL("127.0.0.1", port(mss, "imaps"), ssl_context=pki.client_context(), timeout=10) as imap:
        assert imap.authenticate(mechanism, lambda _: _sasl(mechanism, PRO, TOKEN))[0] == "OK"
    with imaplib.IMAP4_SSL("127.0.0.1", port(mss, "imaps"), ssl_context=pki.client_context(), timeout=10) as imap:
        with pytest.raises(imaplib.IMAP4.error):
            imap.authenticate(mechanism, lambda _: _sasl(mechanism, PRO, "faux"))


def test_client_certificate_opens_the_applicative_mailbox_only(mss, pki):
    with smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=pki.client_context(), timeout=10) as client:
        client.ehlo()
        assert client.docmd("AUTH", f"EXTERNAL {base64.b64encode(EHPAD.encode()).decode()}")[0] == 535
        assert client.docmd("AUTH", f"EXTERNAL {base64.b64encode(APP.encode()).decode()}")[0] == 235
        client.sendmail(APP, ["urgences@ch-fictif.mssante.fr"], message(APP))
    without = pki.client_context(with_certificate=False)
    with smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=without, timeout=10) as client:
        client.ehlo()
        assert client.docmd("AUTH", f"EXTERNAL {base64.b64encode(APP.encode()).decode()}")[0] == 535
    with imaplib.IMAP4_SSL("127.0.0.1", port(mss, "imaps"), ssl_context=pki.client_context(), timeout=10) as imap:
        assert imap.authenticate("EXTERNAL", lambda _: APP.encode())[0] == "OK"
        imap.select("INBOX")
        assert imap.search(None, "ALL")[1][0]  # the processed MDN of the message above


def test_imap_starttls_and_no_clear_text_login(mss, pki):
    with imaplib.IMAP4("127.0.0.1", port(mss, "imap"), timeout=10) as imap:
        with pytest.raises(imaplib.IMAP4.error):
            imap.login(EHPAD, DEFAULT_PASSWORD)  # LOGINDISABLED before STARTTLS
    with smtps(mss, pki) as client:
        client.sendmail(EHPAD, [PHARMACY], message(to=PHARMACY))
    with imaplib.IMAP4("127.0.0.1", port(mss, "imap"), timeout=10) as imap:
        imap.starttls(ssl_context=pki.client_context())
        assert imap.login(PHARMACY, DEFAULT_PASSWORD)[0] == "OK"
        assert imap.select("INBOX")[0] == "OK"
        _, data = imap.uid("fetch", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"Subject:" in data[0][1]


def test_a_client_trusting_only_the_root_refuses_the_foreign_certificate(pki):
    """For the certificate, not for want of a suite: a client limited to the API LPS list gets the foreign RSA one."""
    with MssMock(pki, untrusted=True) as foreign:
        for client in (pki.client_context(), _api_lps_client(pki, ":".join(api_lps().suites))):
            with pytest.raises(ssl.SSLCertVerificationError):
                smtplib.SMTP_SSL("127.0.0.1", port(foreign, "smtps"), context=client, timeout=10)
            with pytest.raises(ssl.SSLCertVerificationError):
                imaplib.IMAP4_SSL("127.0.0.1", port(foreign, "imaps"), ssl_context=client, timeout=10)


def test_directory_finds_mailboxes_by_address_with_their_type(mss, pki):
    def search(kind: str, query: str) -> dict:
        url = f"{mss.urls['annuaire']}/{kind}?{query}"
        with urllib.request.urlopen(url, context=pki.client_context(), timeout=10) as answer:
            return json.loads(answer.read())

    found = search("Practitioner", "mailbox-mss=jeanne.urgentiste-fictif@ch-fictif.mssante.fr")
    assert found["total"] == 1
    practitioner = found["entry"][0]["resource"]
    assert practitioner["identifier"][0]["value"] == "810000001015"
    kinds = {
        t["extension"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
        for entry in search("Organization", "mailbox-mss:contains=ehpad-les-tilleuls")["entry"]
        for t in entry["resource"]["telecom"]
    }
    assert kinds == {"ORG", "APP"}
    assert search("PractitionerRole", "mailbox-mss:contains=medecin.mssante.fr")["entry"][0]["resource"][
        "organization"
    ] == {"reference": "Organization/cabinet-martin"}
    assert search("Practitioner", "mailbox-mss=inconnu@ch-fictif.mssante.fr")["total"] == 0


CURL = shutil.which("curl")


@pytest.mark.skipif(CURL is None, reason="curl absent (apt-get install -y curl)")
def test_curl_sends_over_smtps_and_starttls_and_reads_over_imaps(mss, pki, tmp_path):
    mail = tmp_path / "dlu.eml"
    to = "luc.martin-fictif@medecin.mssante.fr"
    mail.write_bytes(message(to=to))
    tls = ["--cacert", str(pki.root_cert), "--cert", str(pki.client_cert), "--key", str(pki.client_key)]
    user = ["--user", f"{EHPAD}:{DEFAULT_PASSWORD}"]
    for url in (mss.urls["smtps"], mss.urls["smtp"]):
        subprocess.run(
            [
                CURL,
                "--silent",
                "--show-error",
                "--ssl-reqd",
                "--url",
                url,
                *tls,
                *user,
                "--mail-from",
                EHPAD,
                "--mail-rcpt",
                to,
                "--upload-file",
                str(mail),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
    read = subprocess.run(
        [
            CURL,
            "--silent",
            "--show-error",
            "--url",
            f"{mss.urls['imaps']}/INBOX;UID=1",
            *tls,
            "--user",
            f"{to}:{DEFAULT_PASSWORD}",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    assert b"X-MSS-CODECDA: 74207-2" in read.stdout
    assert len(inbox(mss, pki, to)) == 2


def test_reset_empties_mailboxes_but_keeps_evidence(pki):
    with MssMock(pki) as mock:
        with smtps(mock, pki) as client:
            client.sendmail(EHPAD, ["claire.soignante-fictive@ehpad-les-tilleuls.mssante.fr"], message())
        mock.reset()
        assert mock.store.messages("claire.soignante-fictive@ehpad-les-tilleuls.mssante.fr") == []
        assert len(submissions(mock)) == 1


def test_message_helper_keeps_fixture_valid():
    data = message(PRO, "urgences@ch-fictif.mssante.fr")
    assert not [f for f in check_message_data(data, "m.eml") if f.outcome is Outcome.FAIL]
    assert isinstance(BytesParser(policy=policy.default).parsebytes(data), EmailMessage)


def test_imap_commands_without_arguments_get_a_syntax_error_and_no_internal_text(mss, pki):
    """A rude client learns nothing of the server's internals (it once read « 'NoneType' object has no attribute »)."""
    with imaplib.IMAP4_SSL("127.0.0.1", port(mss, "imaps"), ssl_context=pki.client_context(), timeout=10) as imap:
        imap.send(b"a0 LOGIN\r\n")
        assert imap.readline() == b"a0 BAD Illegal syntax: Missing argument\r\n"
        imap.login(EHPAD, DEFAULT_PASSWORD)
        for n, command in enumerate(("SELECT", "EXAMINE", "STATUS", "FETCH", "UID", "STORE", "COPY", "CREATE")):
            imap.send(f"b{n} {command}\r\n".encode())
            answer = imap.readline()
            assert answer.startswith(f"b{n} BAD ".encode()), answer
            assert b"object" not in answer and b"attribute" not in answer and b"Server error:" not in answer, answer
        assert imap.noop()[0] == "OK"  # the session goes on


def test_a_message_with_a_huge_folded_header_neither_stalls_the_mock_nor_other_sessions(mss, pki):
    """40 000 folded parameters (650 KB): once 50 s of header parsing inside the event loop, every session stalled.
    Recorded as sent (raw, unfolded), off the loop; the client timeouts are the guards."""
    params = "".join(f";\r\n p{i}=v{i}" for i in range(40_000))
    hostile = f"From: {EHPAD}\r\nTo: {PHARMACY}\r\nSubject: lourd\r\nContent-Type: text/plain{params}\r\n\r\nx\r\n"
    since = mss.recorder.mark()
    sent = []
    sender = threading.Thread(target=lambda: sent.append(smtps(mss, pki).sendmail(EHPAD, [PHARMACY], hostile)))
    sender.start()
    with smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=pki.client_context(), timeout=10) as other:
        assert other.noop()[0] == 250
    sender.join(30)
    assert sent == [{}]
    exchange = mss.recorder.wait_for(lambda e: e.operation == "envoi", timeout=10, since=since)
    content_type = exchange.request.header("Content-Type")
    assert content_type.startswith("text/plain; p0=v0; p1=v1") and "\n" not in content_type


def test_delivery_status_notifications_on_request_and_on_failure(mss, pki):
    """RFC 3464: a success DSN only when Return-Receipt-To asks for it, a failure DSN always (to MAIL FROM)."""
    asked = BytesParser(policy=policy.SMTP).parsebytes(message(JEANNE, message_id="<dsn-1@ehpad.mssante.fr>"))
    asked["Return-Receipt-To"] = JEANNE
    with smtps(mss, pki, JEANNE) as client:
        client.sendmail(JEANNE, ["sans-accuse@ch-fictif.mssante.fr"], asked.as_bytes())
        client.sendmail(JEANNE, ["non-distribue@ch-fictif.mssante.fr"], message(JEANNE, message_id="<dsn-2@e.fr>"))
    reports = {}
    for data in inbox(mss, pki, JEANNE):
        dsn = BytesParser(policy=policy.default).parsebytes(data)
        assert dsn.get_content_type() == "multipart/report" and dsn.get_param("report-type") == "delivery-status"
        _, status, returned = dsn.get_payload()
        recipient = status.get_payload()[1]
        original = BytesParser(policy=policy.default).parsebytes(returned.get_payload(decode=True))
        reports[original["Message-ID"]] = (recipient["Action"], recipient["Status"])
    assert reports == {"<dsn-1@ehpad.mssante.fr>": ("delivered", "2.0.0"), "<dsn-2@e.fr>": ("failed", "5.2.2")}


def _logins(mss, since: int, mailbox: str) -> list:
    return [
        e for e in mss.recorder.exchanges(since) if e.operation.startswith("connexion") and e.data["login"] == mailbox
    ]


def test_each_authentication_is_recorded_with_its_mechanism_mailbox_type_and_token(mss, pki):
    """The library judges the API LPS rules (MSS-24, MSS-25) on these records: refused attempts too."""
    since = mss.recorder.mark()
    refused = "x" * 1500  # as long as a PSC JWT: an AUTH line beyond aiosmtpd's 1 001 octets is read (RFC 4954)
    with smtplib.SMTP("127.0.0.1", port(mss, "smtp"), timeout=10) as client:
        client.starttls(context=pki.client_context(with_certificate=False))
        client.ehlo()
        assert client.docmd("AUTH", f"XOAUTH2 {base64.b64encode(_sasl('XOAUTH2', PRO, refused)).decode()}")[0] == 535
        assert client.docmd("AUTH", f"XOAUTH2 {base64.b64encode(_sasl('XOAUTH2', PRO, TOKEN)).decode()}")[0] == 235
    smtp_logins = _logins(mss, since, PRO)
    assert [(e.request.method, e.data["mechanism"], e.data["bal_type"], e.response.status) for e in smtp_logins] == [
        ("SMTP", "XOAUTH2", "PER", 535),
        ("SMTP", "XOAUTH2", "PER", 235),
    ]
    assert [e.data["token"]["statut"] for e in smtp_logins] == [TOKEN_UNREADABLE, TOKEN_UNVERIFIED]
    assert smtp_logins[0].transport["scheme"] == "smtp+starttls" and smtp_logins[0].transport["client_subject"] is None


def test_plain_opens_the_applicative_mailbox_on_the_certificate_and_each_session_end_is_recorded(mss, pki):
    """SC.MSS/CONF.12: certificate + PLAIN, whatever the password; without the certificate only the password opens it.
    Closing an authenticated connection (QUIT, LOGOUT) records its end, which MSS-26 reads."""
    since = mss.recorder.mark()
    plain = base64.b64encode(f"\x00{APP}\x00autre".encode()).decode()
    with smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=pki.client_context(), timeout=10) as client:
        client.ehlo()
        assert client.docmd("AUTH", f"PLAIN {plain}")[0] == 235
    without = pki.client_context(with_certificate=False)
    with smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=without, timeout=10) as client:
        client.ehlo()
        assert client.docmd("AUTH", f"PLAIN {plain}")[0] == 535
    imap = imaplib.IMAP4_SSL("127.0.0.1", port(mss, "imaps"), ssl_context=pki.client_context(), timeout=10)
    assert imap.authenticate("PLAIN", lambda _: f"\x00{APP}\x00autre".encode())[0] == "OK"
    imap.logout()
    logins = _logins(mss, since, APP)
    opened = {logins[0].id, logins[2].id}
    ended = lambda: {e.data["session_of"] for e in mss.recorder.exchanges(since) if e.operation.startswith("fin")}  # noqa: E731
    deadline = time.monotonic() + 5
    while not opened <= ended() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [
        (e.request.method, e.data["mechanism"], e.response.status, bool(e.transport["client_subject"])) for e in logins
    ] == [("SMTP", "PLAIN", 235, True), ("SMTP", "PLAIN", 535, False), ("IMAP", "PLAIN", 235, True)]
    assert opened <= ended()


def _api_lps_client(pki, ciphers: str) -> ssl.SSLContext:
    """A DUI's client as SC.MSS/CONF.03 asks: TLS 1.2 with ``ciphers`` only."""
    context = pki.client_context()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(ciphers)
    return context


def _server_key(sock: ssl.SSLSocket):
    return x509.load_der_x509_certificate(sock.getpeercert(binary_form=True)).public_key()


@pytest.mark.parametrize(
    ("ciphers", "key_type"),
    [
        (":".join(api_lps().suites), rsa.RSAPublicKey),  # the list as the source writes it: RSA suites only
        (":".join(s for s in api_lps().suites if s.startswith("DHE-")), rsa.RSAPublicKey),  # DHE, ffdhe2048
        (
            ":".join(s.replace("-RSA-", "-ECDSA-") for s in api_lps().suites if s.startswith("ECDHE-")),
            ec.EllipticCurvePublicKey,
        ),
    ],
    ids=["liste-rsa", "dhe-rsa", "formes-ecdsa"],
)
def test_a_client_limited_to_the_api_lps_list_connects_over_smtps_imaps_and_starttls(mss, pki, ciphers, key_type):
    """A DUI configured with exactly the API LPS list (ECDHE_RSA, DHE_RSA) is served by the RSA certificate of the same
    root, its ECDSA forms by the EC one; the suites recorded pass MSS-27."""
    since = mss.recorder.mark()
    offered = set(ciphers.split(":"))
    with smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=_api_lps_client(pki, ciphers), timeout=10) as client:
        assert isinstance(_server_key(client.sock), key_type) and client.sock.cipher()[0] in offered
        client.login(EHPAD, DEFAULT_PASSWORD)
    with smtplib.SMTP("127.0.0.1", port(mss, "smtp"), timeout=10) as client:
        client.starttls(context=_api_lps_client(pki, ciphers))
        client.login(EHPAD, DEFAULT_PASSWORD)
    with imaplib.IMAP4_SSL(
        "127.0.0.1", port(mss, "imaps"), ssl_context=_api_lps_client(pki, ciphers), timeout=10
    ) as imap:
        assert isinstance(_server_key(imap.sock), key_type)
        imap.login(EHPAD, DEFAULT_PASSWORD)
    with imaplib.IMAP4("127.0.0.1", port(mss, "imap"), timeout=10) as imap:
        imap.starttls(ssl_context=_api_lps_client(pki, ciphers))
        imap.login(EHPAD, DEFAULT_PASSWORD)
    logins = _logins(mss, since, EHPAD)
    assert [(e.request.method, e.transport["scheme"]) for e in logins] == [
        ("SMTP", "smtps"),
        ("SMTP", "smtp+starttls"),
        ("IMAP", "imaps"),
        ("IMAP", "imap+starttls"),
    ]
    assert {e.transport["cipher"] for e in logins} <= offered
    assert {f.outcome for f in check_api_lps_tls(logins)} == {Outcome.PASS}


def test_only_suite_serves_one_unlisted_tls12_suite_then_the_policy_again(mss, pki):
    """MSS-27's refusal scenario: a client limited to the API LPS list cannot connect, a default one negotiates the
    unlisted suite (recorded), then both connect as before."""
    suite = api_lps().unlisted_suite
    listed = pki.client_context()
    listed.set_ciphers(api_lps().client_ciphers())
    rsa_only = _api_lps_client(pki, ":".join(api_lps().suites))
    since = mss.recorder.mark()
    with mss.only_suite(suite):
        for client in (listed, rsa_only):
            with pytest.raises(ssl.SSLError):
                smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=client, timeout=10)
            with pytest.raises(ssl.SSLError):
                imaplib.IMAP4_SSL("127.0.0.1", port(mss, "imaps"), ssl_context=client, timeout=10)
        with imaplib.IMAP4_SSL("127.0.0.1", port(mss, "imaps"), ssl_context=pki.client_context(), timeout=10) as imap:
            imap.login(EHPAD, DEFAULT_PASSWORD)
        with smtps(mss, pki) as client:
            client.noop()
    recorded = [
        (e.request.method, e.transport["tls_version"], e.transport["cipher"]) for e in _logins(mss, since, EHPAD)
    ]
    assert recorded == [("IMAP", "TLSv1.2", suite), ("SMTP", "TLSv1.2", suite)]
    for client in (listed, rsa_only):
        with smtplib.SMTP_SSL("127.0.0.1", port(mss, "smtps"), context=client, timeout=10) as smtp:
            assert smtp.noop()[0] == 250
        with imaplib.IMAP4_SSL("127.0.0.1", port(mss, "imaps"), ssl_context=client, timeout=10) as imap:
            assert imap.noop()[0] == "OK"
