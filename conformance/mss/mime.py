"""Read a MIME message (RFC 5322/2045) from a system under test, bounded and in memory.

The standard library parser (``policy.default``) is tolerant: it records defects instead
of failing. This module turns those defects, and what the parser lets through (a header
value that decodes to a line break, an undecodable charset, 10 000 parts), into French
problems for MSS-01, and refuses up front what would make the parser slow or recursive.
Each header field is parsed once, as it is read, within the bounds the standards allow
(``policy.default`` would parse it again on every access, at a cost that grows faster
than the field).
"""

from __future__ import annotations

import codecs
import email.errors
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.policy import EmailPolicy
from typing import cast

from ..xds.mtom import MAX_MULTIPARTS, multipart_declarations

MAX_PARTS = 200  # leaves of the MIME tree
_MAX_BOUNDARY_LINES = 4 * MAX_PARTS
MAX_LINE = 998  # characters of a line, CRLF excluded (RFC 5322 §2.1.1)
MAX_FIELD = 32 * 1024  # characters of one header field, unfolded: about 33 full lines
MAX_PARAMETERS = 64  # parameters of a Content-Type or Content-Disposition field
MAX_ENCODED_WORDS = 512  # RFC 2047 encoded words in one field
_PARAMETERIZED = ("content-type", "content-disposition")
SINGLE_HEADERS = (
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Message-ID",
    "Date",
    "Disposition-Notification-To",
    "X-MSS-INS",
)
TRANSFER_ENCODINGS = {"7bit", "8bit", "binary", "base64", "quoted-printable"}
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")

DEFECT_LABELS = {
    email.errors.StartBoundaryNotFoundDefect: "limite multipart (boundary) déclarée mais jamais trouvée dans le corps",
    email.errors.CloseBoundaryNotFoundDefect: "limite de fin multipart (--boundary--) absente",
    email.errors.NoBoundaryInMultipartDefect: "Content-Type multipart sans paramètre boundary",
    email.errors.MultipartInvariantViolationDefect: "partie multipart sans sous-partie",
    email.errors.MissingHeaderBodySeparatorDefect: "ligne vide manquante entre en-têtes et corps",
    email.errors.FirstHeaderLineIsContinuationDefect: "première ligne d'en-tête en continuation",
    email.errors.MisplacedEnvelopeHeaderDefect: "ligne « From » d'enveloppe au milieu des en-têtes",
    email.errors.InvalidBase64PaddingDefect: "contenu base64 mal complété (padding)",
    email.errors.InvalidBase64CharactersDefect: "caractères interdits dans un contenu base64",
    email.errors.InvalidBase64LengthDefect: "longueur de contenu base64 invalide",
    email.errors.UndecodableBytesDefect: "octets non ASCII non encodés dans un en-tête",
    email.errors.NonPrintableDefect: "caractères non imprimables dans un en-tête",
}


class MimeProblem(Exception):
    """The message is refused before parsing; ``message`` is French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _OncePolicy(EmailPolicy):
    """``policy.default`` whose header fields are parsed once, when the parser reads them, and refused beyond
    what the standards allow: the parser then hands out the parsed field on every access (``header_fetch_parse``
    returns a value that is already a header). ``long_lines`` collects the fields with lines over 998
    characters, a problem the message is still read with."""

    long_lines: list[str] | None = None

    def __init__(self, long_lines: list[str] | None = None) -> None:
        super().__init__(message_factory=EmailMessage)
        object.__setattr__(self, "long_lines", long_lines)  # a policy is read-only once made

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        _bound(name, value)
        if self.long_lines is not None and any(len(line.rstrip("\r\n")) > MAX_LINE for line in sourcelines):
            self.long_lines.append(name)
        try:
            # unfolded as header_fetch_parse does, so that the parsed field is the one it would give
            return name, self.header_factory(name, "".join(value.splitlines()))
        except Exception:  # noqa: BLE001 - hostile input: kept raw; reading it again fails where it is read
            return name, value


def _bound(name: str, value: str) -> None:
    """Refuse a field whose parsing would cost more than its size: too long, too many parameters or encoded
    words (the standard library's structured header parser is quadratic in them)."""
    if len(value) > MAX_FIELD:
        raise MimeProblem(
            f"En-tête {name[:60]} de {len(value)} caractères : trouvé un champ au-delà de {MAX_FIELD} caractères ; "
            "attendu un en-tête de taille raisonnable (RFC 5322 §2.1.1 : lignes de 998 caractères au plus). "
            "Message refusé avant analyse."
        )
    if name.strip().lower() in _PARAMETERIZED and (count := value.count(";")) > MAX_PARAMETERS:
        raise MimeProblem(
            f"En-tête {name} à {count} paramètres : trouvé plus de {MAX_PARAMETERS} paramètres ; attendu les "
            "quelques paramètres définis (RFC 2045 §5.1, RFC 2183 §2). Message refusé avant analyse."
        )
    if (count := value.count("=?")) > MAX_ENCODED_WORDS:
        raise MimeProblem(
            f"En-tête {name[:60]} à {count} mots encodés : trouvé plus de {MAX_ENCODED_WORDS} mots encodés ; "
            "attendu un texte encodé de taille raisonnable (RFC 2047). Message refusé avant analyse."
        )


@dataclass
class Attachment:
    part: MIMEPart
    filename: str
    content_type: str
    data: bytes


@dataclass
class MimeMessage:
    message: EmailMessage
    leaves: list[MIMEPart]
    problems: list[str] = field(default_factory=list)  # MSS-01, French

    def header(self, name: str) -> str | None:
        return _header(self.message, name)

    def headers(self, name: str) -> list[str]:
        return [str(v) for v in _safe(lambda: self.message.get_all(name), []) or []]

    @property
    def content_type(self) -> str:
        return self.message.get_content_type()

    def attachments(self) -> list[Attachment]:
        out = []
        for part in self.leaves:
            filename = _safe(part.get_filename, None)
            if filename is None and part.get_content_maintype() in ("text", "message", "multipart"):
                continue
            data = _safe(lambda part=part: part.get_payload(decode=True), b"") or b""
            out.append(Attachment(part, filename or "", part.get_content_type(), data))
        return out

    def text_bodies(self) -> list[str]:
        """Inline text parts (plain or HTML) meant for a human reader."""
        out = []
        for part in self.leaves:
            if (
                part.get_content_maintype() == "text"
                and _safe(part.get_filename, None) is None
                and part.get_content_disposition() != "attachment"
            ):
                text = _safe(part.get_content, "")
                if isinstance(text, str) and text.strip():
                    out.append(text)
        return out


def _safe(call, default):
    """Header parsing in the standard library can still raise on crafted values."""
    try:
        return call()
    except Exception:  # noqa: BLE001 - hostile input: any parser error is a problem, not a crash
        return default


def _header(message: EmailMessage, name: str) -> str | None:
    value = _safe(lambda: message.get(name), None)
    return None if value is None else str(value)


def looks_like_message(head: bytes) -> bool:
    """RFC 5322 headers from the first line, among them From and a MIME or Subject header."""
    head = head.lstrip(b"\r\n")
    if not _HEADER_LINE.match(head):
        return False
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0].lower()
    names = {line.split(b":", 1)[0].strip() for line in re.split(rb"\r?\n", block) if line[:1] not in (b" ", b"\t")}
    return b"from" in names and bool(names & {b"mime-version", b"subject", b"content-type", b"message-id"})


def parse_message(data: bytes) -> MimeMessage:
    """Parse bounded; raises :class:`MimeProblem` for what would make parsing itself unsafe."""
    multiparts = multipart_declarations(data)
    if multiparts > MAX_MULTIPARTS:
        raise MimeProblem(
            f"{multiparts} déclarations de limite multipart (boundary, y compris RFC 2231 boundary*) : attendu au "
            f"plus {MAX_MULTIPARTS} ; message refusé avant analyse (imbrication hostile ?)."
        )
    boundary_lines = data.count(b"\n--")
    if boundary_lines > _MAX_BOUNDARY_LINES:
        raise MimeProblem(
            f"{boundary_lines} lignes de limite multipart : au-delà de {MAX_PARTS} parties, "
            "message refusé avant analyse."
        )
    long_lines: list[str] = []
    try:
        # the parser makes EmailMessage parts, as with policy.default (the policy's message_factory)
        message = cast(EmailMessage, BytesParser(policy=_OncePolicy(long_lines)).parsebytes(data))
    except MimeProblem:
        raise
    except (RecursionError, Exception) as exc:  # noqa: BLE001 - same reason as _safe
        raise MimeProblem(f"Message MIME illisible : {type(exc).__name__} : {exc}.") from None
    leaves: list[MIMEPart] = []
    containers: list[MIMEPart] = []
    stack: list[MIMEPart] = [message]
    while stack:
        part = stack.pop()
        if part.is_multipart():
            containers.append(part)
            stack.extend(reversed(list(part.iter_parts())))
        else:
            leaves.append(part)
        if len(leaves) > MAX_PARTS:
            raise MimeProblem(f"Plus de {MAX_PARTS} parties MIME : message refusé.")
    parsed = MimeMessage(message, leaves)
    parsed.problems = [
        f"En-tête {name} : ligne de plus de {MAX_LINE} caractères (RFC 5322 §2.1.1 : en-tête à replier)."
        for name in dict.fromkeys(long_lines)
    ] + _problems(message, containers + leaves)
    return parsed


def _problems(message: EmailMessage, parts: list[MIMEPart]) -> list[str]:
    out = []
    for name in SINGLE_HEADERS:
        count = len(_safe(lambda name=name: message.get_all(name), []) or [])
        if count > 1:
            out.append(f"En-tête {name} présent {count} fois (une seule occurrence autorisée, RFC 5322 §3.6).")
    for name in ("From", "Date", "Message-ID"):
        if _header(message, name) is None:
            out.append(f"En-tête {name} absent (obligatoire, RFC 5322 §3.6).")
    for number, part in enumerate(parts):
        where = "en-têtes du message" if part is message else f"partie {number}"
        for defect in part.defects:
            out.append(f"{where} : {_describe(defect)}.")
        for name, value in _safe(part.items, []):
            text = str(value)
            if "\r" in text or "\n" in text:
                out.append(
                    f"{where} : l'en-tête {name} contient un retour à la ligne une fois décodé "
                    f"(injection d'en-tête) : {text[:80]!r}."
                )
            for defect in getattr(value, "defects", ()):
                out.append(f"{where} : en-tête {name} mal formé : {DEFECT_LABELS.get(type(defect), defect)}.")
        if part.is_multipart():
            continue
        out += _content_problems(part, where)
    return list(dict.fromkeys(out))


def _content_problems(part: MIMEPart, where: str) -> list[str]:
    encoding = (part.get("Content-Transfer-Encoding") or "7bit").strip().lower()
    if encoding not in TRANSFER_ENCODINGS:
        return [f"{where} : Content-Transfer-Encoding inconnu « {encoding} »."]
    raw = _safe(lambda: part.get_payload(decode=True), None)
    if raw is None:
        return [f"{where} : contenu indécodable ({encoding})."]
    out = [
        f"{where} : {_describe(d)}."
        for d in part.defects
        if isinstance(
            d,
            (
                email.errors.InvalidBase64PaddingDefect,
                email.errors.InvalidBase64CharactersDefect,
                email.errors.InvalidBase64LengthDefect,
            ),
        )
    ]
    if part.get_content_maintype() == "text":
        charset = part.get_content_charset() or "us-ascii"
        try:
            codecs.lookup(charset)
            raw.decode(charset)
        except LookupError:
            out.append(f"{where} : jeu de caractères inconnu « {charset} ».")
        except UnicodeDecodeError as exc:
            out.append(
                f"{where} : contenu texte non conforme au jeu de caractères déclaré « {charset} » (octet {exc.start})."
            )
    return out


def _describe(defect: Exception) -> str:
    label = DEFECT_LABELS.get(type(defect), type(defect).__name__)
    return f"{label} ({defect})" if str(defect) else label
