"""Ctrl-C: the report holds whole documents only, says it was interrupted, and the CLI exits 130."""

import json

import pytest

from dui_conformance import cli, runner
from dui_conformance.execution import executors
from dui_conformance.fixtures import iter_manifest
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
