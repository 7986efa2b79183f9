"""Split an MTOM/XOP multipart/related message into its SOAP envelope and binary parts.

The stdlib ``email`` parser does the MIME work; this module bounds the input (size, part
count) and records what the packaging checks need (root part type, start parameter).
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass, field
from email.message import Message
from typing import cast
from urllib.parse import unquote

MAX_BODY_BYTES = 100 * 1024 * 1024
MAX_PARTS = 200


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

    def resolve(self, href: str) -> bytes | None:
        """Bytes referenced by an ``xop:Include/@href`` (``cid:…``), or None."""
        if not href.lower().startswith("cid:"):
            return None
        return self.parts.get(unquote(href[4:]))


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
    )
