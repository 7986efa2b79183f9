"""Every fixture of fixtures/xds fails exactly the ids its manifest lists."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dui_conformance import inputs
from dui_conformance.documents import check_readable
from dui_conformance.model import Outcome
from dui_conformance.xds import check_iti41_file, check_xdm

from .xds.conftest import FIXTURES

MANIFEST = tomllib.loads((FIXTURES / "MANIFEST.toml").read_text(encoding="utf-8"))


def run(path: Path):
    """The file's checks, and GEN-01 on each document it carries, as a run reads them (a member that is not a
    document the harness knows is « non reconnu »)."""
    doc = inputs.load(path)
    assert doc.kind in ("xds", "xdm"), f"{path.name} reconnu comme {doc.kind}"
    findings = check_xdm(str(path)) if doc.kind == "xdm" else check_iti41_file(str(path))
    for member, _ in inputs.embedded(doc):
        findings += check_readable(inputs.load(member))
    return findings


@pytest.mark.parametrize("fixture", MANIFEST["fixture"], ids=lambda f: f["file"])
def test_fixture_fails_exactly_manifest_ids(fixture):
    findings = run(FIXTURES / fixture["file"])
    assert findings
    assert not [f for f in findings if f.outcome is Outcome.ERROR]
    in_scope = {
        f.requirement
        for f in findings
        if f.outcome is Outcome.FAIL and f.requirement.split("-")[0] in MANIFEST["scope"]
    }
    assert in_scope == set(fixture["fails"])
    for f in findings:
        assert f.message and f.location.file


def test_valid_request_passes_every_group():
    findings = run(FIXTURES / "iti41-valide.mtom")
    passing = {f.requirement for f in findings if f.outcome is Outcome.PASS}
    assert passing == {f"DMP-{n}" for n in (40, 41, 42, 44, 45, 46, 47, 48, 49, 50)}


def test_hostile_files_recognised_and_checked(tmp_path):
    zip_like = tmp_path / "faux.zip"
    zip_like.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    findings = run(zip_like)
    assert [f.requirement for f in findings] == ["DMP-52"]


def test_generator_writes_the_committed_fixtures(tmp_path):
    """fixtures/xds is what tests/support/make_xds_fixtures.py writes (fixed identifiers and clock)."""
    script = Path(__file__).resolve().parents[1] / "support" / "make_xds_fixtures.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True, timeout=300)
    made = sorted(tmp_path.iterdir())
    assert made
    for path in made:
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name
