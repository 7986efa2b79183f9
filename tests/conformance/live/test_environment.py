"""The files a DUI or a test waits for (services-simules.json, a kept PKI) appear whole or not at all: each is
written to a temporary file of the same folder and renamed over its name (issue 8 follow-up)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from dui_conformance.files import write_atomically
from dui_conformance.live.environment import SERVICES_FILE, LiveEnvironment
from dui_conformance.mocks.common import TestPki


@pytest.fixture
def renames(monkeypatch):
    """Every os.replace, with what the target held and what the temporary file held at that moment."""
    seen, real = [], os.replace

    def spy(src, dst):
        before = open(dst, "rb").read() if os.path.exists(dst) else None
        seen.append((os.fspath(src), os.fspath(dst), open(src, "rb").read(), before))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    return seen


def test_services_file_and_kept_pki_are_renamed_into_place_whole(tmp_path, renames):
    services, pki = tmp_path / "annonce" / SERVICES_FILE, tmp_path / "pki"
    with LiveEnvironment(services_file=services, pki_dir=pki, tls=True) as env:
        written = json.loads(services.read_text(encoding="utf-8"))
        assert written == json.loads(json.dumps(env.services()))
    by_target = {dst: (src, data, before) for src, dst, data, before in renames}
    src, data, before = by_target[str(services)]
    assert os.path.dirname(src) == str(services.parent) and before is None
    assert json.loads(data) == written  # the whole content was in the temporary file before it took the name
    for name in ("racine-igc-sante-test.pem", "client-dui.pem", "client-dui.key", "serveur.pem", "serveur.key"):
        assert str(pki / name) in by_target and os.path.dirname(by_target[str(pki / name)][0]) == str(pki)
    assert stat.S_IMODE((pki / "client-dui.key").stat().st_mode) == 0o600
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_interrupted_write_keeps_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / SERVICES_FILE
    target.write_text('{"insi": {}}', encoding="utf-8")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        write_atomically(target, b'{"insi": {"url": "https://127.0.0.1:1"}, "dmp"')
    assert target.read_text(encoding="utf-8") == '{"insi": {}}'
    assert [p.name for p in tmp_path.iterdir()] == [SERVICES_FILE]


def test_reused_pki_is_not_rewritten(tmp_path, renames):
    TestPki(tmp_path)
    renames.clear()
    TestPki(tmp_path, reuse=True)
    assert renames == []
