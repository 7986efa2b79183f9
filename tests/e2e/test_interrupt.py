"""Ctrl-C and SIGTERM: the report holds whole documents only, says it was interrupted, and the CLI exits 130;
SIGTERM, sent to a real process, also ends the workers and removes the spool and the demo's PKI."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dui_conformance import cli, runner
from dui_conformance.execution import executors
from dui_conformance.fixtures import FIXTURES_DIR, iter_manifest
from dui_conformance.model import EXIT_INTERRUPTED


@pytest.mark.parametrize("spool_from", [runner.SPOOL_FROM, 0], ids=["en-memoire", "sur-disque"])
def test_ctrl_c_writes_a_consistent_partial_report(monkeypatch, tmp_path, local_run, spool_from):
    monkeypatch.setattr(runner, "SPOOL_FROM", spool_from)
    real, calls = executors.evaluate_batch, []

    def evaluate(batch, settings):
        calls.append(batch)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(batch, settings)

    monkeypatch.setattr(executors, "evaluate_batch", evaluate)
    paths = [str(e.path) for e in iter_manifest()]
    code = cli.main(["check", *paths, "--jobs", "1", "-q", "--report-dir", str(tmp_path), "--formats", "json,html"])
    assert code == EXIT_INTERRUPTED == 130
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["interrupted"] is True and report["verdict"] == "interrompu"
    done = {path for batch in calls[:2] for path, _ in batch}
    assert {s["subject"] for s in report["scenarios"]} == done
    expected = [s.nodeid for s in local_run.scenarios if s.subject in done]
    assert [s["nodeid"] for s in report["scenarios"]] == expected
    assert (tmp_path / "index.html").exists()


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _wait_for(condition, guard: float = 120.0) -> bool:
    """Poll ``condition`` until true; the deadline is a guard against a hang, not a measure."""
    deadline = time.monotonic() + guard
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="processus lus dans /proc (Linux)")
def test_sigterm_writes_a_partial_report_ends_the_workers_and_removes_the_spool(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    valid = (FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml").read_bytes()
    for index in range(600):  # enough to be interrupted while spooling on two workers
        (export / f"doc-{index:04d}.xml").write_bytes(valid)
    spool_root = tmp_path / "tmp"
    spool_root.mkdir()
    report_dir = tmp_path / "rapport"
    process = subprocess.Popen(
        [sys.executable, "-m", "dui_conformance", "check", str(export), "--jobs", "2", "-q"]
        + ["--report-dir", str(report_dir), "--formats", "json"],
        env={**os.environ, "TMPDIR": str(spool_root)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    workers: list[int] = []

    def working() -> bool:
        workers[:] = _children(process.pid)
        return any(spool_root.iterdir()) and len(workers) >= 2

    output = _sigterm_when(process, working)
    assert process.returncode == EXIT_INTERRUPTED, output
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert report["interrupted"] is True and report["verdict"] == "interrompu"
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]
    assert list(spool_root.iterdir()) == []


def _sigterm_when(process: subprocess.Popen, ready) -> bytes:
    """Send SIGTERM once ``ready()`` holds, and return the process's output (it is killed if it outlives the test)."""
    try:
        assert _wait_for(ready)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    return output


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return "Z"


def test_sigterm_during_demo_removes_its_private_pki(tmp_path):
    """As soon as the demo has made its PKI: nothing ran yet, so no report; what it made is removed."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    report_dir = tmp_path / "rapport"
    process = subprocess.Popen(
        [sys.executable, "-m", "dui_conformance", "demo", "-q", "--report-dir", str(report_dir), "--formats", "json"],
        env={**os.environ, "TMPDIR": str(temporary)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = _sigterm_when(process, lambda: any(p.name.startswith("dui-conformance-pki-") for p in temporary.iterdir()))
    assert process.returncode == EXIT_INTERRUPTED, output
    assert list(temporary.iterdir()) == []  # stopped while its services start: PKI and services file removed
