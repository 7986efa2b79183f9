"""What the XDS tests share: the fixtures' folder, the valid ITI-41 request's parts, a hostile nesting builder."""

from __future__ import annotations

from pathlib import Path

from dui_conformance.xds.iti41 import read_capture
from dui_conformance.xds.mtom import parse_mtom

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "xds"


def _valid_parts():
    content_type, body, captured = read_capture((FIXTURES / "iti41-valide.mtom").read_bytes())
    assert captured
    return content_type, body, parse_mtom(content_type, body)


def nested(depth: int, parameter: str = "boundary") -> tuple[str, bytes]:
    """``depth`` multipart/related levels, each declaring its child's boundary with ``parameter``."""
    body = b"feuille"
    for level in range(depth, 1, -1):
        body = (
            f"--n{level - 1}\r\nContent-Type: multipart/related; {parameter}=n{level}\r\n\r\n".encode()
            + body
            + f"\r\n--n{level - 1}--\r\n".encode()
        )
    action = 'action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"'  # recognised as ITI-41 by its head
    return f'multipart/related; boundary=n1; type="application/xop+xml"; start="<r>"; {action}', body
