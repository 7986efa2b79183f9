"""Regenerate fixtures/mss/ (synthetic people only): python tests/support/make_mss_fixtures.py [OUT_DIR]

Each defective message or archive changes one thing in a valid one, so that exactly the
requirement ids listed in fixtures/mss/MANIFEST.toml fail. The XDM archives come from the
XDS fixture builder (tests/support/make_xds_fixtures.py), which is reused, not copied.
"""

from __future__ import annotations

import io
import random
import stat
import struct
import sys
import warnings
import zipfile
from email import policy
from email.header import Header
from email.message import EmailMessage
from pathlib import Path

import make_xds_fixtures as xds  # run as a script: its folder is on sys.path

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "mss"
SENDER = "secretariat@ehpad-les-tilleuls.mssante.fr"
RECIPIENT = "urgences@ch-fictif.mssante.fr"
MESSAGE_ID = "<dlu-20240312-0001@ehpad-les-tilleuls.mssante.fr>"
SUBJECT = "XDM/1.0/DDM+Dossier de liaison d'urgence FICTIVE Marie 15/03/1947"
DATE = "Tue, 12 Mar 2024 10:35:00 +0100"
BODY = (
    "Bonjour,\n\nVeuillez trouver ci-joint le dossier de liaison d'urgence de Mme FICTIVE Marie, "
    "née le 15/03/1947 (données fictives).\n\nLe secrétariat de l'EHPAD Les Tilleuls\n"
)
DATE_TIME = (2024, 3, 12, 10, 30, 0)
KO = "[KO Intégration système !]"  # subject prefix of an integration failure (facts §4.4)
REPLIED = "<demande-0001@ch-fictif.mssante.fr>"  # the hospital's message a reply answers
NIL = "DEV000001"  # a fictitious software referencing number (X-MSS-NIL, vague 2): every message carries one
PATIENT = "248055145412365@patient.mssante.fr"  # the fixture DLU's patient, Mon espace santé


def _xdm(**options) -> bytes:
    return xds.xdm(**options)


def message(
    *,
    sender=SENDER,
    to=RECIPIENT,
    subject=SUBJECT,
    codecda="74207-2",
    ins="O",
    dnt=SENDER,
    xdm: bytes | None = b"",
    xdm_name="IHE_XDM.ZIP",
    body=BODY,
    extra=(),
    nil=NIL,
    message_id=MESSAGE_ID,
    charset="utf-8",
    subtype="plain",
    html: str | None = None,
) -> bytes:
    """A DLU sent by the EHPAD's applicative mailbox to an emergency ward; ``xdm=None``: no archive."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = DATE
    msg["Message-ID"] = message_id
    if nil:
        msg["X-MSS-NIL"] = nil
    if codecda:
        msg["X-MSS-CODECDA"] = codecda
    if ins:
        msg["X-MSS-INS"] = ins
    if dnt:
        msg["Disposition-Notification-To"] = dnt
    for name, value in extra:
        msg[name] = value
    if body:
        msg.set_content(body, subtype=subtype, charset=charset)
    if html:
        msg.add_alternative(html, subtype="html")
    if xdm is not None:
        msg.add_attachment(xdm or _xdm(), maintype="application", subtype="zip", filename=xdm_name)
    random.seed(8)  # MIME boundaries come from random
    return msg.as_bytes()


def mdn(
    *,
    disposition="automatic-action/MDN-sent-automatically; processed",
    subject="Accusé de traitement : " + SUBJECT,
    original_id=MESSAGE_ID,
    returned_id=MESSAGE_ID,
    final_recipient=True,
    returned="headers",
    requests_mdn=False,
) -> bytes:
    """The emergency ward's acknowledgement of the DLU, RFC 8098 layout, the original returned in a third part:
    ``returned`` "headers" (text/rfc822-headers), "message" (message/rfc822, the whole DLU) or None (no third part);
    ``returned_id`` None: the returned original without its Message-ID; ``requests_mdn``: the MDN itself asks for
    one (Disposition-Notification-To), which RFC 8098 §2.1 forbids."""
    fields = ["Reporting-UA: ch-fictif.mssante.fr; DUI de test"]
    if final_recipient:
        fields.append(f"Final-Recipient: rfc822; {RECIPIENT}")
    if original_id:
        fields.append(f"Original-Message-ID: {original_id}")
    fields.append(f"Disposition: {disposition}")
    text = (
        "Le document a été intégré au dossier."
        if "Error" not in disposition
        else "Le document n'a pas pu être intégré."
    )
    lines = [
        f"From: {RECIPIENT}",
        f"To: {SENDER}",
        f"Subject: {_encode(subject)}",
        f"Date: {DATE}",
        "Message-ID: <mdn-20240312-0001@ch-fictif.mssante.fr>",
        f"X-MSS-NIL: {NIL}",
        *([f"Disposition-Notification-To: {RECIPIENT}"] if requests_mdn else []),
        "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="=_mdn"',
        "",
        "--=_mdn",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        text,
        "--=_mdn",
        "Content-Type: message/disposition-notification",
        "",
        *fields,
        "",
    ]
    if returned == "headers":
        lines += [
            "--=_mdn",
            "Content-Type: text/rfc822-headers",
            "",
            f"From: {SENDER}",
            f"To: {RECIPIENT}",
            *([f"Message-ID: {returned_id}"] if returned_id else []),
            "",
        ]
    elif returned == "message":
        original = message().decode("utf-8")
        if returned_id != MESSAGE_ID:
            original = original.replace(
                f"Message-ID: {MESSAGE_ID}\r\n", f"Message-ID: {returned_id}\r\n" if returned_id else ""
            )
        lines += ["--=_mdn", "Content-Type: message/rfc822", "", original.rstrip("\r\n")]
    lines += ["--=_mdn--", ""]
    return "\r\n".join(lines).encode("utf-8")


def _encode(text: str) -> str:
    return Header(text, "utf-8").encode()


def raw(headers: list[str], body: str) -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8")


BASE_HEADERS = [
    f"From: {SENDER}",
    f"To: {RECIPIENT}",
    "Subject: Message de test",
    f"Date: {DATE}",
    "Message-ID: <hostile-0001@ehpad-les-tilleuls.mssante.fr>",
    "MIME-Version: 1.0",
    f"X-MSS-NIL: {NIL}",
]


def many_parts(count: int) -> bytes:
    parts = "".join(f"--=_p\r\n\r\n{i}\r\n" for i in range(count))
    return raw(BASE_HEADERS + ['Content-Type: multipart/mixed; boundary="=_p"'], parts + "--=_p--\r\n")


def nested(depth: int) -> bytes:
    body = "feuille\r\n"
    for level in range(depth, 0, -1):
        body = (
            f'--=_n{level}\r\nContent-Type: multipart/mixed; boundary="=_n{level + 1}"\r\n\r\n{body}--=_n{level}--\r\n'
        )
    return raw(BASE_HEADERS + ['Content-Type: multipart/mixed; boundary="=_n1"'], body)


def nested_rfc2231(depth: int) -> bytes:
    """The same nesting, each boundary declared as an RFC 2231 extended value (``boundary*=us-ascii''n2``)."""
    body = "feuille\r\n"
    for level in range(depth, 0, -1):
        head = f"--n{level}\r\nContent-Type: multipart/mixed; boundary*=us-ascii''n{level + 1}\r\n\r\n"
        body = f"{head}{body}--n{level}--\r\n"
    return raw(BASE_HEADERS + ["Content-Type: multipart/mixed; boundary*=us-ascii''n1"], body)


def zip_of(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            if isinstance(info, str):
                info = zipfile.ZipInfo(info, date_time=DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def _valid_members() -> list[tuple[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(_xdm()))
    return [(name, archive.read(name)) for name in archive.namelist()]


def symlink_xdm() -> bytes:
    link = zipfile.ZipInfo("IHE_XDM/SUBSET01/LIEN", date_time=DATE_TIME)
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    return zip_of([*_valid_members(), (link, b"/etc/passwd")])


def duplicate_xdm() -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
        return zip_of([*_valid_members(), ("IHE_XDM/SUBSET01/DOC0001.XML", b"<ClinicalDocument/>")])


def declared_size_xdm(each: int = 45 * 1024 * 1024, compressed: int = 1024 * 1024) -> bytes:
    """Five small members whose central directory declares 45 MB each (225 MB in all, ratio 45)."""
    data = bytearray(zip_of([*_valid_members(), *[(f"IHE_XDM/SUBSET01/ANNEXE{i}.BIN", b"x") for i in range(5)]]))
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + name_length].startswith(b"IHE_XDM/SUBSET01/ANNEXE"):
            struct.pack_into("<II", data, start + 20, compressed, each)
        start += 46
    return bytes(data)


def ins_error_cda() -> bytes:
    return xds.DLU.read_bytes().replace(b'extension="248055145412365"', b'extension="248055145412366"')


def main(out: Path = OUT) -> None:
    xds._deterministic()
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "message-dlu-valide.eml": message(),
        "message-sans-document.eml": message(
            subject="Transfert de Mme FICTIVE", codecda=None, ins=None, dnt=None, xdm=None
        ),
        "message-codecda-absent.eml": message(codecda=None),
        "message-codecda-faux.eml": message(codecda="11488-4"),
        "message-codecda-sans-cda.eml": message(subject="Transfert de Mme FICTIVE", ins=None, xdm=None),
        "message-ins-absent.eml": message(ins=None),
        "message-objet-faux.eml": message(subject="DLU de Mme FICTIVE"),
        "message-accuse-adresse-fausse.eml": message(dnt="secretariat"),
        "message-adresse-hors-mss.eml": message(to="urgences@ch-fictif.example.org"),
        "message-sans-rendu.eml": message(body=None),
        "message-xdm-mal-nomme.eml": message(xdm_name="documents.zip"),
        "message-xdm-hash-faux.eml": message(xdm=_xdm(mutate=xds._xdm_wrong_hash)),
        "message-xdm-traversee.eml": message(xdm=_xdm(extra=(("../../etc/evil.txt", b"x"),))),
        "message-cda-ins-faux.eml": message(xdm=_xdm(cda=ins_error_cda())),
        "message-sans-nil.eml": message(nil=None),
        "message-id-mal-forme.eml": message(message_id="<dlu-20240312-0001>"),
        "message-reponse.eml": message(
            extra=(("In-Reply-To", REPLIED), ("References", f"<dossier-0001@ch-fictif.mssante.fr> {REPLIED}")),
        ),
        "message-reponse-sans-references.eml": message(extra=(("In-Reply-To", REPLIED),)),
        "message-mes-fin-patient.eml": message(to=PATIENT, extra=(("X-MSS-MES", "FIN"),)),
        "message-mes-fin-professionnel.eml": message(extra=(("X-MSS-MES", "FIN"),)),
        "message-latin1.eml": message(charset="iso-8859-1"),
        "message-corps-html.eml": message(body=f"<p>{BODY}</p>", subtype="html"),
        "message-corps-alternatif.eml": message(html=f"<p>{BODY}</p>"),
        "mdn-traite.eml": mdn(),
        "mdn-erreur.eml": mdn(
            disposition="automatic-action/MDN-sent-automatically; processed/Error: "
            "INS_INCONNU^Patient inconnu du dossier",
            subject="[KO Intégration système !] " + SUBJECT,
        ),
        "mdn-erreur-sans-ko.eml": mdn(
            disposition="automatic-action/MDN-sent-automatically; processed/Error: "
            "INS_INCONNU^Patient inconnu du dossier"
        ),
        "mdn-erreur-sans-code.eml": mdn(
            disposition="automatic-action/MDN-sent-automatically; processed/Error: échec",
            subject="[KO Intégration système !] " + SUBJECT,
        ),
        "mdn-sans-final-recipient.eml": mdn(final_recipient=False),
        "mdn-sans-original-id.eml": mdn(original_id=None),
        "mdn-original-different.eml": mdn(returned_id="<autre-message@ehpad-les-tilleuls.mssante.fr>"),
        "mime-sans-boundary.eml": raw(
            BASE_HEADERS + ["Content-Type: multipart/mixed"], "--x\r\n\r\ncorps\r\n--x--\r\n"
        ),
        "mime-limite-introuvable.eml": raw(
            BASE_HEADERS + ['Content-Type: multipart/mixed; boundary="=_absente"'],
            "--autre\r\n\r\ncorps\r\n--autre--\r\n",
        ),
        "mime-10000-parties.eml": many_parts(10_000),
        "mime-imbrication.eml": nested(40),
        "mime-injection-entete.eml": raw(
            [
                *BASE_HEADERS[:2],
                "Subject: =?utf-8?q?Bonjour=0D=0ABcc:_espion@example.org?=",
                *BASE_HEADERS[3:],
                "Content-Type: text/plain; charset=utf-8",
            ],
            "corps\r\n",
        ),
        "mime-base64-invalide.eml": raw(
            BASE_HEADERS + ['Content-Type: multipart/mixed; boundary="=_b"'],
            "--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncorps\r\n"
            "--=_b\r\nContent-Type: application/pdf; name=cr.pdf\r\n"
            "Content-Disposition: attachment; filename=cr.pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nJVBER!!!i0xLjQK*\r\n--=_b--\r\n",
        ),
        "mime-en-tete-double.eml": raw(
            [BASE_HEADERS[0], *BASE_HEADERS, "Content-Type: text/plain; charset=utf-8"], "corps\r\n"
        ),
        "xdm-cda-ins-faux.zip": _xdm(cda=ins_error_cda()),
        "xdm-lien-symbolique.zip": symlink_xdm(),
        "xdm-chemin-absolu.zip": zip_of([*_valid_members(), ("/tmp/dui-conformance-evil.txt", b"x")]),
        "xdm-doublon.zip": duplicate_xdm(),
        "xdm-imbriquee.zip": zip_of([*_valid_members(), ("IHE_XDM/SUBSET01/INTERNE.ZIP", _xdm())]),
        "xdm-taille-totale.zip": declared_size_xdm(),
        # after the archives: the whole DLU returned in these draws identifiers that the archives above must keep
        "mdn-traite-message-complet.eml": mdn(returned="message"),
        "mdn-original-sans-message-id.eml": mdn(returned_id=None),
        "mdn-message-complet-sans-message-id.eml": mdn(returned="message", returned_id=None),
        "mdn-message-complet-different.eml": mdn(
            returned="message", returned_id="<autre-message@ehpad-les-tilleuls.mssante.fr>"
        ),
        "mdn-sans-message-origine.eml": mdn(returned=None),
        # a DLU without INS (resident known by the EHPAD's IPP only): no X-MSS-INS, patientId PI or, wrongly, NH
        "message-xdm-sans-ins.eml": message(ins=None, xdm=_xdm(cda=xds.dlu_without_ins())),
        "message-xdm-sans-ins-type-nh.eml": message(
            ins=None, xdm=_xdm(cda=xds.dlu_without_ins(), mutate=lambda s: xds._set_everywhere(s, "&ISO^PI", "&ISO^NH"))
        ),
        # an integration failure answered without a requested MDN: the original subject after [KO …][code]
        "message-erreur-integration.eml": message(subject=f"{KO}[INS_INCONNU] {SUBJECT}", dnt=None),
        "message-erreur-integration-sans-code.eml": message(subject=f"{KO} {SUBJECT}", dnt=None),
        "message-objet-date-impossible.eml": message(subject=SUBJECT.replace("15/03/1947", "15/14/1947")),
        "mdn-demande-accuse.eml": mdn(requests_mdn=True),
        "mime-imbrication-rfc2231.eml": nested_rfc2231(300),
        "mime-parametres-excessifs.eml": raw(
            BASE_HEADERS + ["Content-Type: text/plain; charset=utf-8" + "".join(f"; p{i}=v" for i in range(100))],
            "corps\r\n",
        ),
        "mime-ligne-trop-longue.eml": raw(BASE_HEADERS + ["X-Commentaire: " + "x" * 1_000], "corps\r\n"),
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
    # An 8-bit body that is not the UTF-8 it declares (bytes, not str: written as is).
    (out / "mime-charset-faux.eml").write_bytes(
        raw(BASE_HEADERS + ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"], "")
        + "Résident intégré\r\n".encode("iso-8859-1")
    )
    print(f"{len(files) + 1} fixtures écrites dans {out}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
