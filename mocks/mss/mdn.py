"""Build what a scripted mailbox or the operator returns: an RFC 8098 MDN (facts §4.4), a plain KO mail, an RFC 3464
delivery status notification (DSN, SC.MSS.16)."""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.utils import format_datetime, make_msgid

from dui_conformance.mss.mdn import KO_SUBJECT

_FOLD = re.compile(r"\r?\n(?=[ \t])")


def unfold(value: str) -> str:
    """A header value on one line (RFC 5322 §2.2.3: a fold is a line break before white space)."""
    return _FOLD.sub("", value)


def _value(original: Message, name: str, default: str = "") -> str:
    """A header of ``original`` as one line of text, whichever policy parsed it (the mock parses received
    messages with ``compat32``, whose values are raw: folded, with undecodable bytes escaped)."""
    value = original.get(name)
    text = default if value is None else str(value)
    return unfold(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def build_mdn(original: Message, reporter: str, error: tuple[str, str] | None = None) -> bytes:
    """``processed`` MDN from ``reporter`` for ``original``, or ``processed/Error: code^libellé``."""
    subject = _value(original, "Subject")
    disposition = "automatic-action/MDN-sent-automatically; processed"
    if error:
        disposition += f"/Error: {error[0]}^{error[1]}"
    mdn = EmailMessage(policy=policy.SMTP)
    mdn["From"] = reporter
    mdn["To"] = _value(original, "Disposition-Notification-To") or _value(original, "From")
    mdn["Subject"] = f"{KO_SUBJECT} {subject}" if error else f"Accusé de traitement : {subject}"
    mdn["Date"] = format_datetime(datetime.now().astimezone())
    mdn["Message-ID"] = make_msgid(domain=reporter.rpartition("@")[2] or "mss.localhost")
    text = (
        f"Le document n'a pas pu être intégré : {error[1]} ({error[0]})."
        if error
        else "Le message a été traité et son document intégré."
    )
    mdn.set_content(text)
    fields = EmailMessage(policy=policy.SMTP)
    fields["Reporting-UA"] = "simulateur MSSante (dui-conformance)"
    fields["Final-Recipient"] = f"rfc822; {reporter}"
    if original.get("Message-ID"):
        fields["Original-Message-ID"] = _value(original, "Message-ID")
    fields["Disposition"] = disposition
    headers = "".join(f"{k}: {v}\r\n" for k, v in original.items())
    mdn.make_mixed()
    mdn.replace_header("Content-Type", "multipart/report")
    mdn.set_param("report-type", "disposition-notification")
    report = EmailMessage(policy=policy.SMTP)
    report["Content-Type"] = "message/disposition-notification"
    report.set_payload([fields])
    returned = EmailMessage(policy=policy.SMTP)
    returned["Content-Type"] = "text/rfc822-headers"
    returned.set_payload(headers)
    mdn.attach(report)
    mdn.attach(returned)
    return mdn.as_bytes()


def build_ko_mail(original: Message, reporter: str, error: tuple[str, str]) -> bytes:
    """Without a requested MDN, an integration failure goes back as a plain mail whose subject starts
    ``[KO Intégration système !][code]`` (facts §4.4), in reply to the original."""
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = reporter
    mail["To"] = _value(original, "From")
    mail["Subject"] = f"{KO_SUBJECT}[{error[0]}] {_value(original, 'Subject')}"
    mail["Date"] = format_datetime(datetime.now().astimezone())
    mail["Message-ID"] = make_msgid(domain=reporter.rpartition("@")[2] or "mss.localhost")
    if original.get("Message-ID"):
        mail["In-Reply-To"] = mail["References"] = _value(original, "Message-ID")
    mail.set_content(f"Le document n'a pas pu être intégré : {error[1]} ({error[0]}).")
    return mail.as_bytes()


OPERATOR = "mailer-daemon@operateur.mssante.fr"  # the operator's own sender of delivery notifications


def build_dsn(original: Message, recipient: str, to: str, failure: tuple[str, str] | None = None) -> bytes:
    """The operator's RFC 3464 DSN to ``to`` for ``original``'s delivery to ``recipient``: ``Action: delivered``
    (2.0.0), or ``failed`` with ``failure`` = (status, diagnostic); the original's headers returned in a third part,
    whose Message-ID lets the sender reconcile it."""
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = OPERATOR
    mail["To"] = to
    subject = _value(original, "Subject")
    mail["Subject"] = f"Non distribué : {subject}" if failure else f"Distribué : {subject}"
    mail["Date"] = format_datetime(datetime.now().astimezone())
    mail["Message-ID"] = make_msgid(domain=OPERATOR.rpartition("@")[2])
    mail.set_content(
        f"Le message n'a pas pu être distribué à {recipient} : {failure[1]}."
        if failure
        else f"Le message a été distribué à {recipient}."
    )
    per_message, per_recipient = EmailMessage(policy=policy.SMTP), EmailMessage(policy=policy.SMTP)
    per_message["Reporting-MTA"] = f"dns; {OPERATOR.rpartition('@')[2]}"
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = "failed" if failure else "delivered"
    per_recipient["Status"] = failure[0] if failure else "2.0.0"
    if failure:
        per_recipient["Diagnostic-Code"] = f"smtp; {failure[1]}"
    mail.make_mixed()
    mail.replace_header("Content-Type", "multipart/report")
    mail.set_param("report-type", "delivery-status")
    report = EmailMessage(policy=policy.SMTP)
    report["Content-Type"] = "message/delivery-status"
    report.set_payload([per_message, per_recipient])
    returned = EmailMessage(policy=policy.SMTP)
    returned["Content-Type"] = "text/rfc822-headers"
    returned.set_payload("".join(f"{k}: {_value(original, k)}\r\n" for k in original.keys()))
    mail.attach(report)
    mail.attach(returned)
    return mail.as_bytes()
