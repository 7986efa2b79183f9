"""What the XDS tests share: the fixtures' folder and the valid ITI-41 request's parts."""

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
