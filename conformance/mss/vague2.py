"""What Ségur vague 2 adds to an MSSanté message (SC.MSS.10/11, SC.MSS/CONF.16/19/21; facts: vague2-and-tools.md
§1.3): a well-formed Message-ID, In-Reply-To and References on a reply (RFC 5322 §3.6.4), X-MSS-NIL on every mail,
X-MSS-MES: FIN only to block a patient's reply, UTF-8 text, a text/plain or multipart/alternative body (SC.MSS.12).

Kept apart from :func:`~dui_conformance.mss.check_message_data` so that a vague 1 message is never judged on them
(MSS-20 counts the vague 1 rules only); the offline step and the live vague 2 steps call both.
"""

from __future__ import annotations

import re
from email.message import MIMEPart

from ..decides import decides
from ..model import Finding, Location, failed, omitted, passed, skipped
from ..wording import found
from .message import MssRules, header_addresses, is_dsn, is_mdn
from .mime import MimeMessage, MimeProblem, parse_message

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
# msg-id = "<" id-left "@" id-right ">", id-right a dot-atom or a no-fold-literal (RFC 5322 §3.6.4, no obs- form)
MSG_ID = re.compile(rf"<{_DOT_ATOM}@(?:{_DOT_ATOM}|\[[\x21-\x5a\x5e-\x7e]*\])>")
_ANY_ID = re.compile(r"<[^<>]*>")
_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?[bBqQ]\?")
UTF8_CHARSETS = {"utf-8", "us-ascii"}  # ASCII is UTF-8's first 128 characters
DSN_REQUEST = MssRules.dsn_request  # the default; the mock operator answers it
MES_END = "FIN"  # X-MSS-MES value that blocks a patient's reply (the only one the sources give)


def msg_ids(value: str) -> list[str] | None:
    """The msg-ids of a Message-ID, In-Reply-To or References value; None when anything else is in it."""
    ids = _ANY_ID.findall(value)
    if _ANY_ID.sub("", value).strip() or not all(MSG_ID.fullmatch(i) for i in ids):
        return None
    return ids


def well_formed_id(value: str | None) -> bool:
    """One msg-id and nothing else."""
    return value is not None and len(msg_ids(value) or []) == 1


@decides("MSS-32")
def _check_message_id(msg: MimeMessage, where: Location) -> list[Finding]:
    values = msg.headers("Message-ID")
    if len(values) != 1 or not well_formed_id(values[0]):
        shown = found(values[0].strip()[:80]) if values else found(None)
        return [
            failed(
                "MSS-32",
                f"Message-ID : trouvé {shown} ({len(values)} en-tête(s)) ; attendu un seul identifiant "
                "« <partie-gauche@partie-droite> » (RFC 5322 §3.6.4).",
                where,
            )
        ]
    return [passed("MSS-32", f"Message-ID bien formé : {values[0].strip()[:80]}.", where)]


@decides("MSS-33")
def _check_reply(msg: MimeMessage, where: Location) -> list[Finding]:
    """A reply names its parent in In-Reply-To and ends References with it (RFC 5322 §3.6.4)."""
    parents, thread = msg.headers("In-Reply-To"), msg.headers("References")
    if not parents and not thread:
        return [omitted("MSS-33", "Message qui ne répond à aucun autre (ni In-Reply-To ni References).", where)]
    parent_ids = msg_ids(parents[0]) if len(parents) == 1 else None
    thread_ids = msg_ids(thread[0]) if len(thread) == 1 else None
    if not parent_ids or not thread_ids or thread_ids[-1] not in parent_ids:
        return [
            failed(
                "MSS-33",
                f"Réponse avec In-Reply-To {found(parents[0][:80] if parents else None)} et References "
                f"{found(thread[0][:120] if thread else None)} ; attendu In-Reply-To = Message-ID du message auquel "
                "elle répond, et References terminé par ce même identifiant (RFC 5322 §3.6.4).",
                where,
            )
        ]
    return [passed("MSS-33", f"Réponse à {thread_ids[-1]} : In-Reply-To et References cohérents.", where)]


@decides("MSS-36")
def _check_nil(msg: MimeMessage, where: Location, rules: MssRules) -> list[Finding]:
    values = [v.strip() for v in msg.headers("X-MSS-NIL")]
    expected = f"« {rules.nil} » (numéro de référencement du logiciel)" if rules.nil else "le numéro de référencement"
    if len(values) != 1 or not values[0] or (rules.nil is not None and values[0] != rules.nil):
        return [
            failed(
                "MSS-36",
                f"X-MSS-NIL : trouvé {found(values[0] if values else None)} ({len(values)} en-tête(s)) ; attendu un "
                f"seul en-tête portant {expected} sur chaque message (SC.MSS/CONF.16).",
                where,
            )
        ]
    return [passed("MSS-36", f"X-MSS-NIL « {values[0]} ».", where)]


@decides("MSS-37")
def _check_mes(msg: MimeMessage, where: Location, rules: MssRules) -> list[Finding]:
    """X-MSS-MES: FIN blocks a patient's reply: only that value, only on a message to Mon espace santé."""
    values = [v.strip() for v in msg.headers("X-MSS-MES")]
    if not values:
        return [omitted("MSS-37", "Aucun en-tête X-MSS-MES : la réponse du patient n'est pas bloquée.", where)]
    others = [
        a for a in header_addresses(msg, "To", "Cc", "Bcc") if a.rpartition("@")[2].lower() != rules.patient_domain
    ]
    if values != [MES_END] or others:
        return [
            failed(
                "MSS-37",
                f"X-MSS-MES {found(', '.join(values))} vers {found(', '.join(others) or None)} ; attendu un seul "
                f"en-tête « {MES_END} », sur un message adressé à la messagerie Mon espace santé "
                f"(@{rules.patient_domain}) seulement (SC.MSS/CONF.21).",
                where,
            )
        ]
    return [passed("MSS-37", f"X-MSS-MES « {MES_END} » : la réponse du patient est bloquée.", where)]


def _header_block(data: bytes) -> bytes:
    return re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0]


@decides("MSS-38")
def _check_utf8(msg: MimeMessage, data: bytes, where: Location) -> list[Finding]:
    """Text parts and header fields in UTF-8 (SC.MSS/CONF.19): charset utf-8 or us-ascii, RFC 2047 words in UTF-8,
    raw 8-bit header bytes valid UTF-8 (RFC 6532)."""
    bad = sorted(
        {
            f"partie {part.get_content_type()} en {charset}"
            for part in msg.leaves
            if part.get_content_maintype() == "text"
            and (charset := (part.get_content_charset() or "us-ascii").lower()) not in UTF8_CHARSETS
        }
    )
    header = _header_block(data)
    bad += sorted(
        {f"mot encodé en {w.decode('ascii', 'replace').lower()}" for w in _ENCODED_WORD.findall(header)}
        - {f"mot encodé en {c}" for c in UTF8_CHARSETS}
    )
    try:
        header.decode("utf-8")
    except UnicodeDecodeError:
        bad.append("octets d'en-tête hors UTF-8")
    if bad:
        return [
            failed(
                "MSS-38",
                f"Trouvé : {', '.join(bad)} ; attendu du texte et des en-têtes en UTF-8 (SC.MSS/CONF.19).",
                where,
            )
        ]
    return [passed("MSS-38", "Texte et en-têtes en UTF-8.", where)]


def _body(msg: MimeMessage) -> MIMEPart | None:
    """The part a reader sees as the body: the message itself, or the first part of a multipart/mixed or related."""
    part: MIMEPart = msg.message
    while part.get_content_type() in ("multipart/mixed", "multipart/related") and part.is_multipart():
        first = next(part.iter_parts(), None)
        if first is None:
            return None
        part = first
    return part


@decides("MSS-41")
def _check_body_type(msg: MimeMessage, where: Location) -> list[Finding]:
    """The body is text/plain, or multipart/alternative with a text/plain version (SC.MSS.12)."""
    if is_mdn(msg) or is_dsn(msg):
        return [omitted("MSS-41", "Accusé (multipart/report) : structure fixée par sa RFC, règle sans objet.", where)]
    body = _body(msg)
    if body is None or (body.get_content_type().startswith("multipart/") and not body.is_multipart()):
        return [skipped("MSS-41", "Structure multipart illisible (voir MSS-01) : corps non vérifiable.", where)]
    kind = body.get_content_type()
    alternatives = [p.get_content_type() for p in body.iter_parts()] if kind == "multipart/alternative" else []
    if kind == "text/plain" or "text/plain" in alternatives:
        return [passed("MSS-41", f"Corps du message en {kind}.", where)]
    shown = f"{kind} ({', '.join(alternatives)})" if alternatives else kind
    return [
        failed(
            "MSS-41",
            f"Corps du message : trouvé {found(shown)} ; attendu text/plain, ou multipart/alternative avec une "
            "version text/plain (SC.MSS.12).",
            where,
        )
    ]


@decides("MSS-32", "MSS-33", "MSS-36", "MSS-37", "MSS-38", "MSS-41")
def check_vague2_data(data: bytes, path: str, rules: MssRules | None = None) -> list[Finding]:
    """The vague 2 rules on one message (an unreadable one is MSS-01's: nothing said here)."""
    rules, where = rules or MssRules(), Location(file=path)
    try:
        msg = parse_message(data)
    except MimeProblem:
        return []
    return (
        _check_message_id(msg, where)
        + _check_reply(msg, where)
        + _check_nil(msg, where, rules)
        + _check_mes(msg, where, rules)
        + _check_utf8(msg, data, where)
        + _check_body_type(msg, where)
    )
