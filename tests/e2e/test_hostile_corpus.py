"""The hostile corpus of issue 21 that needs a live file system or a signal: every case generated here, in
tmp_path, bounded in size; a subprocess timeout is only a guard. Each one is a finding about the input (exit
3, report written), never a hang, a crash, a harness error or a silent pass. The static cases are rows of
fixtures/hostile/MANIFEST.toml (tests/e2e/test_fixture_manifests.py); SIGTERM is in tests/e2e/test_interrupt.py."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from dui_conformance import cli, inputs
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.model import EXIT_NOT_CONFORMANT

from .conftest import run_cli

VALID_CDA = FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml"
MATRICULE = b'extension="248055145412365"'
LONG_COMMENT = b"<!--" + b"x" * 70_000 + b"-->\n"  # a DOCTYPE past the 64 KiB a head scan looked at
URANDOM = b'<!DOCTYPE ClinicalDocument [<!ENTITY % p SYSTEM "/dev/urandom"> %p;]>\n'


def with_prolog(prolog: bytes, body: bytes = VALID_CDA.read_bytes()) -> bytes:
    """The valid CDA with ``prolog`` between its XML declaration and its root."""
    declaration, _, rest = body.partition(b"?>")
    return declaration + b"?>\n" + prolog + rest


def outcomes(report: dict, file: Path) -> dict[str, set[str]]:
    """Requirement → outcomes of its findings on ``file``."""
    found: dict[str, set[str]] = {}
    for req in report["requirements"]:
        for finding in req["findings"]:
            if finding["file"] and Path(finding["file"].split("!")[0]) == file:
                found.setdefault(req["id"], set()).add(finding["outcome"])
    return found


def messages(report: dict, requirement: str, file: Path) -> str:
    req = next(r for r in report["requirements"] if r["id"] == requirement)
    return " ".join(f["message"] for f in req["findings"] if f["file"] and Path(f["file"]) == file)


def snapshot(folder: Path) -> dict[Path, tuple[int, int, int]]:
    """Kind, size and modification time of each entry (reading a file changes only its access time)."""
    return {p: (p.lstat().st_mode, p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.iterdir()}


@pytest.fixture
def export(tmp_path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    return folder


def test_hostile_entries_are_findings_never_hangs_crashes_or_silence(export, tmp_path):
    late = export / "doctype-tardif.xml"
    late.write_bytes(with_prolog(LONG_COMMENT + URANDOM))
    utf16 = export / "doctype-utf16.xml"
    text = with_prolog(LONG_COMMENT + URANDOM).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    utf16.write_bytes(text.encode("utf-16"))
    entity = export / "entite-interne.xml"
    entity.write_bytes(
        with_prolog(LONG_COMMENT + b'<!DOCTYPE ClinicalDocument [<!ENTITY nir "248055145412365">]>\n').replace(
            MATRICULE, b'extension="&nir;"'
        )
    )
    fifo_dtd = tmp_path / "locale.dtd"
    os.mkfifo(fifo_dtd)  # libxml2 opening this DTD would block the run
    local_dtd = export / "dtd-locale.xml"
    local_dtd.write_bytes(
        with_prolog(LONG_COMMENT + b'<!DOCTYPE ClinicalDocument SYSTEM "' + bytes(fifo_dtd) + b'">\n')
    )
    fifo = export / "tube.xml"
    os.mkfifo(fifo)
    listening = socket.socket(socket.AF_UNIX)
    unix = export / "socket.xml"
    listening.bind(str(unix))
    outside = tmp_path / "hors-export.xml"
    outside.write_bytes(b"\x00\x01 binaire hors du dossier")
    leaving = export / "lien-sortant.xml"
    leaving.symlink_to(outside)
    valid = export / "valide.xml"
    valid.write_bytes(VALID_CDA.read_bytes())
    inside = export / "lien-interne.xml"
    inside.symlink_to(valid)
    large = export / "grand.xml"
    large.write_bytes(with_prolog(b"<!--" + b"y" * 600_000 + b"-->\n"))
    before = snapshot(export)
    try:
        run = run_cli(["check", str(export), "--taille-max", "0.5", "--jobs", "1"], tmp_path / "rapport", timeout=120)
    finally:
        listening.close()
    assert run.code == EXIT_NOT_CONFORMANT, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    report = run.report
    assert not [s for s in report["scenarios"] if s.get("error")], "erreur du harnais"
    for doctype in (late, utf16, entity, local_dtd):
        assert outcomes(report, doctype)["GEN-02"] == {"fail"}, doctype.name
    # the matricule came from the entity: no INS check may pass on it
    assert not {req for req, seen in outcomes(report, entity).items() if req.startswith("INS") and "pass" in seen}
    for entry, said in [
        (fifo, "Tube nommé (FIFO)"),
        (unix, "Socket UNIX"),
        (leaving, "hors du dossier exporté"),
        (large, "non analysé"),
    ]:
        assert outcomes(report, entry)["GEN-01"] == {"skip"}, entry.name
        assert said in messages(report, "GEN-01", entry)
    assert outcomes(report, inside)["GEN-01"] == {"omit"}  # its target is checked as valide.xml
    assert "non suivi" in messages(report, "GEN-01", inside)
    assert "binaire" not in json.dumps(report)  # the link leaving the export was not followed
    assert snapshot(export) == before  # the inputs are untouched


def test_unreadable_files_and_folders_are_blocking_findings(export, tmp_path, monkeypatch):
    """chmod 000 stops a user, not root: the permission check the harness asks is refused here for both."""
    locked = export / "verrouille"
    locked.mkdir()
    (locked / "defectueux.xml").write_bytes(b"<ClinicalDocument")
    secret = export / "illisible.xml"
    secret.write_bytes(VALID_CDA.read_bytes())
    (export / "valide.xml").write_bytes(VALID_CDA.read_bytes())
    denied = {str(locked), str(secret)}
    real = inputs._accessible
    monkeypatch.setattr(inputs, "_accessible", lambda path, mode: str(path) not in denied and real(path, mode))
    locked.chmod(0)
    secret.chmod(0)
    try:
        code = cli.main(["check", str(export), "--jobs", "1", "-q", "--report-dir", str(tmp_path / "r")])
    finally:
        locked.chmod(0o755)
        secret.chmod(0o644)
    assert code == EXIT_NOT_CONFORMANT
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert outcomes(report, locked)["GEN-01"] == {"skip"}
    assert "Dossier illisible" in messages(report, "GEN-01", locked)
    assert outcomes(report, secret)["GEN-01"] == {"skip"}
    assert "Fichier illisible" in messages(report, "GEN-01", secret)
    assert report["verdict"] == "non concluant"
