"""Check an MSSanté acknowledgement: an RFC 8098 MDN (facts §4.4)."""

from __future__ import annotations

import re

from ..model import Finding, Location, failed, passed
from . import ids
from .mime import MimeMessage

KO_SUBJECT = "[KO Intégration système !]"
_DISPOSITION = re.compile(
    r"^\s*(?P<action>manual-action|automatic-action)\s*/\s*(?P<sending>MDN-sent-manually|MDN-sent-automatically)\s*;"
    r"\s*(?P<type>[\w-]+)(?:\s*/\s*(?P<modifier>[\w-]+)\s*:\s*(?P<value>.*?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ERROR_VALUE = re.compile(r"^[^\s^]+\^\S.*$", re.DOTALL)
_MSG_ID = re.compile(r"^\s*<[^<>@\s]+@[^<>@\s]+>\s*$")


def _parts(msg: MimeMessage) -> list:
    payload = msg.message.get_payload()
    return payload if isinstance(payload, list) else []


def _fields(part) -> dict[str, str]:
    """The disposition-notification fields (the parser reads them as the headers of one inner message)."""
    payload = part.get_payload() if part is not None else None
    inner = payload[0] if isinstance(payload, list) and payload else None
    return {k.lower(): str(v) for k, v in inner.items()} if inner is not None else {}


def _report_part(msg: MimeMessage):
    return next((p for p in _parts(msg) if p.get_content_type() == "message/disposition-notification"), None)


def check_mdn(msg: MimeMessage, where: Location) -> list[Finding]:
    parts = _parts(msg)
    report = _report_part(msg)
    fields = _fields(report)
    problems = []
    if not parts or parts[0].get_content_maintype() != "text":
        problems.append("la première partie doit être un texte lisible par un humain")
    if report is None:
        problems.append("partie message/disposition-notification absente")
    for name in ("Disposition", "Final-Recipient"):
        if report is not None and name.lower() not in fields:
            problems.append(f"champ {name} absent de la partie message/disposition-notification")
    out = [failed(ids.MDN, f"Accusé MDN mal structuré : {'; '.join(problems)} (RFC 8098 §3).", where)] if problems else [
        passed(ids.MDN, "Accusé MDN multipart/report conforme (texte, message/disposition-notification).", where)]
    return out + _check_disposition(msg, fields, where) + _check_original(msg, fields, where)


def _check_disposition(msg: MimeMessage, fields: dict[str, str], where: Location) -> list[Finding]:
    raw = fields.get("disposition")
    subject = msg.header("Subject") or ""
    if raw is None:
        return [failed(ids.DISPOSITION, "Champ Disposition absent : « automatic-action/MDN-sent-automatically; "
                                        "processed » attendu.", where)]
    match = _DISPOSITION.match(raw)
    if not match or match["type"].lower() != "processed":
        return [failed(ids.DISPOSITION, f"Disposition « {raw[:100]} » : attendu « …; processed » ou "
                                        "« …; processed/Error: code^libellé ».", where)]
    if match["modifier"] is None:
        if subject.startswith(KO_SUBJECT):
            return [failed(ids.DISPOSITION, f"Objet « {subject[:80]} » d'échec pour un accusé de traitement réussi.",
                           where)]
        return [passed(ids.DISPOSITION, "Accusé de traitement réussi (processed).", where)]
    out = []
    if match["modifier"].lower() != "error" or not _ERROR_VALUE.match(match["value"] or ""):
        out.append(failed(ids.DISPOSITION, f"Disposition « {raw[:100]} » : erreur attendue sous la forme "
                                           "« processed/Error: code^libellé ».", where))
    if not subject.startswith(KO_SUBJECT):
        out.append(failed(ids.DISPOSITION, f"Objet « {subject[:80]} » d'un accusé d'erreur : attendu un objet "
                                           f"commençant par « {KO_SUBJECT} ».", where))
    return out or [passed(ids.DISPOSITION, f"Accusé d'erreur conforme : {match['value'][:80]}.", where)]


def _original_id(msg: MimeMessage) -> str | None:
    """Message-ID of the returned original (third part: message/rfc822 or text/rfc822-headers), if any."""
    for part in _parts(msg)[2:]:
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            return None if inner is None else inner.get("Message-ID")
        if part.get_content_type() == "text/rfc822-headers":
            text = part.get_payload(decode=True) or b""
            found = re.search(rb"^Message-ID:\s*(<[^>\r\n]*>)", text, re.IGNORECASE | re.MULTILINE)
            return found.group(1).decode("ascii", "replace") if found else None
    return None


def _check_original(msg: MimeMessage, fields: dict[str, str], where: Location) -> list[Finding]:
    value = fields.get("original-message-id")
    if not value or not _MSG_ID.match(value):
        return [failed(ids.ORIGINAL_ID, f"Original-Message-ID « {value or 'absent'} » : l'identifiant <…@…> du "
                                        "message accusé est attendu.", where)]
    original = _original_id(msg)
    if original is not None and original.strip() != value.strip():
        return [failed(ids.ORIGINAL_ID, f"Original-Message-ID {value.strip()} ne désigne pas le message joint "
                                        f"({original.strip()}).", where)]
    return [passed(ids.ORIGINAL_ID, f"Original-Message-ID {value.strip()} renvoie au message accusé.", where)]
