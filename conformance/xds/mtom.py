"""Split an MTOM/XOP multipart/related message into its SOAP envelope and binary parts.

The stdlib ``email`` parser does the MIME work; this module bounds the input (size, part
count, multipart nesting) and records what the packaging checks need (root part type, start parameter).
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message
from typing import cast
from urllib.parse import unquote

MAX_BODY_BYTES = 100 * 1024 * 1024
MAX_PARTS = 200
MAX_MULTIPARTS = 32  # multipart containers; also bounds the nesting the stdlib parser recurses into
# A boundary parameter, plain or RFC 2231 (``boundary*=utf-8''…``, ``boundary*0=`` once per continued value).
_BOUNDARY_PARAM = re.compile(rb"boundary\s*(?:\*\s*0\s*)?\*?\s*=", re.IGNORECASE)
XML_TYPES = ("text/xml", "application/xml")


def multipart_declarations(data: bytes) -> int:
    """Boundary parameters declared anywhere in ``data``: an upper bound on the multipart containers, hence on
    the nesting the parser would recurse into, known in one linear scan before parsing."""
    return len(_BOUNDARY_PARAM.findall(data))


def is_xml_type(media_type: str) -> bool:
    """An XML media type: text/xml, application/xml or a ``+xml`` suffix (RFC 7303), parameters ignored."""
    kind = media_type.partition(";")[0].strip().lower()
    return kind in XML_TYPES or kind.endswith("+xml")


class MtomProblem(Exception):
    """The body is not a readable multipart/related message; ``message`` is French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class MtomMessage:
    envelope: bytes
    parts: dict[str, bytes]  # Content-ID (without angle brackets) → decoded bytes
    params: dict[str, str] = field(default_factory=dict)  # Content-Type parameters (type, start, boundary…)
    root_type: str = ""  # Content-Type of the root part
    root_params: dict[str, str] = field(default_factory=dict)
    part_types: dict[str, str] = field(default_factory=dict)
    start_found: bool = True  # the start parameter, when given, names a part (RFC 2387 §3.2)

    def resolve(self, href: str) -> bytes | None:
        """Bytes referenced by an ``xop:Include/@href`` (``cid:…``), or None."""
        cid = _href_cid(href)
        return None if cid is None else self.parts.get(cid)

    def type_of(self, href: str) -> str | None:
        """Declared Content-Type of the part an ``xop:Include/@href`` references, or None."""
        cid = _href_cid(href)
        return None if cid is None else self.part_types.get(cid)


def _href_cid(href: str) -> str | None:
    """The Content-ID a ``cid:`` URL names (RFC 2392), None for any other URL."""
    return unquote(href[4:]) if href.lower().startswith("cid:") else None


def _cid(value: str | None) -> str:
    return (value or "").strip().removeprefix("<").removesuffix(">")


def _body(part: Message) -> bytes:
    """Decoded body of a part; a part that is itself multipart has none."""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def parse_mtom(content_type: str, body: bytes) -> MtomMessage:
    """Parse ``body`` sent with header ``content_type``; raises :class:`MtomProblem`."""
    if len(body) > MAX_BODY_BYTES:
        raise MtomProblem(f"Message de {len(body)} octets, au-delà de la limite de {MAX_BODY_BYTES} octets.")
    if "multipart/related" not in (content_type or "").lower():
        raise MtomProblem(f"Content-Type {content_type!r} : multipart/related attendu pour MTOM/XOP.")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    if (declared := multipart_declarations(head + body)) > MAX_MULTIPARTS:
        raise MtomProblem(
            f"{declared} déclarations de limite multipart (boundary), au-delà de {MAX_MULTIPARTS} : message refusé "
            "avant analyse (imbrication hostile ?) ; attendu un seul multipart/related MTOM/XOP."
        )
    msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(head + body)
    if not msg.is_multipart() or not msg.get_boundary():
        raise MtomProblem("Message multipart illisible (boundary absente ou introuvable dans le corps).")
    # The payload of a multipart message is the list of its parts (the stdlib documents it; typeshed allows str).
    parts = cast(list[Message], msg.get_payload())
    if not parts:
        raise MtomProblem("Message multipart sans aucune partie.")
    if len(parts) > MAX_PARTS:
        raise MtomProblem(f"Message de {len(parts)} parties, au-delà de la limite de {MAX_PARTS}.")
    params = {k.lower(): v for k, v in msg.get_params([], header="content-type")[1:]}
    start = _cid(params.get("start"))
    root = next((p for p in parts if start and _cid(p.get("Content-ID")) == start), None)
    start_found = root is not None or not start
    if root is None:
        root = parts[0]
    decoded: dict[str, bytes] = {}
    types: dict[str, str] = {}
    for part in parts:
        if part is root:
            continue
        cid = _cid(part.get("Content-ID"))
        decoded[cid] = _body(part)
        types[cid] = part.get_content_type()
    return MtomMessage(
        envelope=_body(root),
        parts=decoded,
        params=params,
        root_type=root.get_content_type(),
        root_params={k.lower(): v for k, v in (root.get_params(header="content-type") or [])[1:]},
        part_types=types,
        start_found=start_found,
    )
