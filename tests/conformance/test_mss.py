"""fixtures/mss: each message and archive fails exactly its manifest ids at the check level,
hostile input ends in a finding within seconds without writing anything."""

from __future__ import annotations

import builtins
import os
import time
import tomllib
from pathlib import Path

import pytest

from dui_conformance import inputs, mss
from dui_conformance.model import Outcome
from dui_conformance.mss import check_message, check_vague2_data
from dui_conformance.xds import check_xdm

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "mss"
MANIFEST = tomllib.loads((FIXTURES / "MANIFEST.toml").read_text(encoding="utf-8"))
# Requirements these checks own; INS-xx on the CDA inside come from the INS scenarios (e2e manifest test).
OWN = ("MSS", "DMP", "GEN")


def run(path: Path):
    kind = inputs.load(path).kind
    assert kind in (mss.MIME_KIND, "xdm"), f"{path.name} reconnu comme {kind}"
    if kind != mss.MIME_KIND:
        return check_xdm(str(path))
    return check_message(str(path)) + check_vague2_data(path.read_bytes(), str(path))


@pytest.mark.parametrize("fixture", MANIFEST["fixture"], ids=lambda f: f["file"])
def test_fixture_fails_exactly_manifest_ids(fixture, monkeypatch):
    real_open = builtins.open

    def read_only_open(file, mode="r", *args, **kwargs):
        assert not set(mode) & set("wax+"), f"écriture interdite : {file} ({mode})"
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only_open)
    monkeypatch.setattr(os, "open", lambda *a, **k: pytest.fail(f"os.open interdit : {a}"))
    started = time.perf_counter()
    findings = run(FIXTURES / fixture["file"])
    assert time.perf_counter() - started < 5
    assert findings and not [f for f in findings if f.outcome is Outcome.ERROR]
    failing = {f.requirement for f in findings if f.outcome is Outcome.FAIL and f.requirement.split("-")[0] in OWN}
    assert failing == {r for r in fixture["fails"] if r.split("-")[0] in OWN}
    for f in findings:
        assert f.message and f.location.file
