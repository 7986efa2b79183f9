"""Check an MSSanté acknowledgement: an RFC 8098 MDN (facts §4.4)."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesHeaderParser

from ..decides import decides
from ..model import Finding, Location, failed, passed
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


def _inner(part):
    """The message a message/* part holds (for message/disposition-notification, its fields as headers)."""
    payload = part.get_payload() if part is not None else None
    return payload[0] if isinstance(payload, list) and payload else None


def _fields(part) -> dict[str, str]:
    inner = _inner(part)
    return {k.lower(): str(v) for k, v in inner.items()} if inner is not None else {}


def _field_values(part, name: str) -> list[str]:
    inner = _inner(part)
    return [str(v) for v in inner.get_all(name) or []] if inner is not None else []


def _report_part(msg: MimeMessage):
    return next((p for p in _parts(msg) if p.get_content_type() == "message/disposition-notification"), None)


@decides("MSS-08")
def check_mdn(msg: MimeMessage, where: Location, acknowledged: str | None = None) -> list[Finding]:
    """MSS-08…10 on one MDN; ``acknowledged``: the Message-ID of the message it must acknowledge, when known (live)."""
    parts = _parts(msg)
    report = _report_part(msg)
    fields = _fields(report)
    problems = []
    if not parts or parts[0].get_content_maintype() != "text":
        problems.append("la première partie doit être un texte lisible par un humain")
    if report is None:
        problems.append("partie message/disposition-notification absente")
    if msg.headers("Disposition-Notification-To"):
        problems.append(
            "trouvé un en-tête Disposition-Notification-To, attendu aucun : un accusé ne demande pas lui-même "
            "d'accusé (§2.1)"
        )
    for name in ("Disposition", "Final-Recipient"):
        if report is not None and name.lower() not in fields:
            problems.append(f"champ {name} absent de la partie message/disposition-notification")
    out = (
        [failed("MSS-08", f"Accusé MDN mal structuré : {'; '.join(problems)} (RFC 8098, §3 sauf mention).", where)]
        if problems
        else [
            passed("MSS-08", "Accusé MDN multipart/report conforme (texte, message/disposition-notification).", where)
        ]
    )
    return out + _check_disposition(msg, fields, where) + _check_original(msg, report, where, acknowledged)


@decides("MSS-09")
def _check_disposition(msg: MimeMessage, fields: dict[str, str], where: Location) -> list[Finding]:
    raw = fields.get("disposition")
    subject = msg.header("Subject") or ""
    if raw is None:
        return [
            failed(
                "MSS-09",
                "Champ Disposition absent : « automatic-action/MDN-sent-automatically; processed » attendu.",
                where,
            )
        ]
    match = _DISPOSITION.match(raw)
    if not match or match["type"].lower() != "processed":
        return [
            failed(
                "MSS-09",
                f"Disposition « {raw[:100]} » : attendu « …; processed » ou « …; processed/Error: code^libellé ».",
                where,
            )
        ]
    if match["modifier"] is None:
        if subject.startswith(KO_SUBJECT):
            return [failed("MSS-09", f"Objet « {subject[:80]} » d'échec pour un accusé de traitement réussi.", where)]
        return [passed("MSS-09", "Accusé de traitement réussi (processed).", where)]
    out = []
    if match["modifier"].lower() != "error" or not _ERROR_VALUE.match(match["value"] or ""):
        out.append(
            failed(
                "MSS-09",
                f"Disposition « {raw[:100]} » : erreur attendue sous la forme « processed/Error: code^libellé ».",
                where,
            )
        )
    if not subject.startswith(KO_SUBJECT):
        out.append(
            failed(
                "MSS-09",
                f"Objet « {subject[:80]} » d'un accusé d'erreur : attendu un objet commençant par « {KO_SUBJECT} ».",
                where,
            )
        )
    return out or [passed("MSS-09", f"Accusé d'erreur conforme : {match['value'][:80]}.", where)]


def _returned_ids(msg: MimeMessage) -> tuple[list[str] | None, str]:
    """Message-IDs of the original returned as the third part (RFC 6522 §3, required by the ANS volet), read as
    header fields whether the part is the whole message or its headers; None with what was found instead."""
    parts = _parts(msg)
    if len(parts) < 3:
        return None, f"accusé en {len(parts)} partie(s), sans message d'origine en troisième partie"
    part = parts[2]
    kind = part.get_content_type()
    if kind == "message/rfc822":
        inner = _inner(part)
        if inner is None:
            return None, "troisième partie message/rfc822 illisible"
        return [str(v) for v in inner.get_all("Message-ID") or []], kind
    if kind == "text/rfc822-headers":
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(part.get_payload(decode=True) or b"")
        return [str(v) for v in headers.get_all("Message-ID") or []], kind
    return None, f"troisième partie de type {kind}"


def _normal(msg_id: str) -> str:
    """A msg-id as compared: folding and surrounding white space removed, case kept (RFC 5322 §3.6.4)."""
    return "".join(msg_id.split())


@decides("MSS-10")
def _check_original(msg: MimeMessage, report, where: Location, acknowledged: str | None) -> list[Finding]:
    values = _field_values(report, "Original-Message-ID")
    value = _normal(values[0]) if len(values) == 1 else None
    if value is None or not _MSG_ID.match(value):
        found = "absent" if not values else " ; ".join(v.strip()[:100] for v in values)
        return [
            failed(
                "MSS-10",
                f"Original-Message-ID « {found} » : un seul identifiant <…@…>, celui du message accusé, est attendu.",
                where,
            )
        ]
    if acknowledged is not None and _normal(acknowledged) != value:
        return [
            failed(
                "MSS-10",
                f"Original-Message-ID {value} : attendu {_normal(acknowledged)}, le Message-ID du message accusé.",
                where,
            )
        ]
    returned, found = _returned_ids(msg)
    wanted = (
        "attendu le message accusé (message/rfc822) ou ses en-têtes (text/rfc822-headers) en troisième partie, "
        f"portant le Message-ID {value}"
    )
    if returned is None:
        return [failed("MSS-10", f"Message d'origine introuvable ({found}) : {wanted}.", where)]
    if len(returned) != 1:
        shown = "sans Message-ID" if not returned else f"avec {len(returned)} Message-ID ({', '.join(returned)[:160]})"
        return [failed("MSS-10", f"Message d'origine renvoyé en troisième partie ({found}) {shown} : {wanted}.", where)]
    if _normal(returned[0]) != value:
        return [
            failed(
                "MSS-10",
                f"Original-Message-ID {value} ne désigne pas le message renvoyé en troisième "
                f"partie ({found}) : trouvé Message-ID {_normal(returned[0])[:120]}, attendu "
                f"{value}.",
                where,
            )
        ]
    return [
        passed(
            "MSS-10",
            f"Original-Message-ID {value} renvoie au message accusé, renvoyé en troisième partie ({found}).",
            where,
        )
    ]
