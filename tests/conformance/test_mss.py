"""fixtures/mss: each message and archive fails exactly its manifest ids at the check level,
hostile input ends in a finding within seconds without writing anything, and the CDA inside
an archive is a document of its own (``outer!member``) for the CDA and INS scenarios."""

from __future__ import annotations

import builtins
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from dui_conformance import inputs, mss
from dui_conformance.model import Outcome
from dui_conformance.mss import MssRules, check_message, parse_message
from dui_conformance.xds import check_xdm

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "mss"
MANIFEST = tomllib.loads((FIXTURES / "MANIFEST.toml").read_text(encoding="utf-8"))
# Requirements these checks own; INS-xx on the CDA inside come from the INS scenarios (e2e manifest test).
OWN = ("MSS", "DMP", "GEN")


def run(path: Path):
    kind = inputs.load(path).kind
    assert kind in (mss.MIME_KIND, "xdm"), f"{path.name} reconnu comme {kind}"
    return check_message(str(path)) if kind == mss.MIME_KIND else check_xdm(str(path))


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


def test_message_recognised_by_content_whatever_its_name(tmp_path):
    copy = tmp_path / "export.dat"
    shutil.copy(FIXTURES / "message-dlu-valide.eml", copy)
    assert inputs.load(copy).kind == mss.MIME_KIND
    assert inputs.recognise(b"MSH|^~\\&|DUI") != mss.MIME_KIND
    assert inputs.recognise(b'Content-Type: multipart/related; type="application/xop+xml"\r\n\r\n') != mss.MIME_KIND


@pytest.mark.parametrize(
    "outer, member",
    [
        ("message-dlu-valide.eml", "IHE_XDM.ZIP!IHE_XDM/SUBSET01/DOC0001.XML"),
        ("xdm-cda-ins-faux.zip", "IHE_XDM/SUBSET01/DOC0001.XML"),
    ],
)
def test_cda_inside_is_a_document_of_its_own(outer, member):
    doc = inputs.load(FIXTURES / outer)
    path = f"{FIXTURES / outer}!{member}"
    assert inputs.embedded(doc) == [(path, inputs.CDA)]
    inner = inputs.load(path)
    assert inner.kind == inputs.CDA and inner.xml.root.tag.endswith("ClinicalDocument")


def test_refused_archives_carry_no_document():
    for name in ("xdm-lien-symbolique.zip", "xdm-imbriquee.zip", "message-xdm-traversee.eml", "mime-imbrication.eml"):
        assert inputs.embedded(inputs.load(FIXTURES / name)) == []


def test_domains_are_a_setting():
    data = (FIXTURES / "message-adresse-hors-mss.eml").read_bytes()
    findings = mss.check_message_data(data, "m.eml", rules=MssRules(domains=("mssante.fr", "example.org")))
    assert {f.outcome for f in findings if f.requirement == "MSS-07"} == {Outcome.PASS}


def test_parser_state_is_bounded():
    msg = parse_message((FIXTURES / "message-dlu-valide.eml").read_bytes())
    assert [a.filename for a in msg.attachments()] == ["IHE_XDM.ZIP"] and msg.text_bodies()


def test_generator_is_deterministic(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "tests" / "support" / "make_mss_fixtures.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for made in tmp_path.iterdir():
        assert made.read_bytes() == (FIXTURES / made.name).read_bytes(), made.name
