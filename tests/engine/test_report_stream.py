"""report.json is streamed with the same data as the one-piece rendering; large runs add findings.jsonl."""

import io
import json

from dui_conformance.report import json_report, write_reports
from dui_conformance.report.json_report import render_json, write_json


def test_streamed_report_is_the_rendered_one(local_run):
    out = io.StringIO()
    write_json(local_run, out)
    assert json.loads(out.getvalue()) == json.loads(render_json(local_run))
    assert len(out.getvalue().splitlines()) > len(local_run.scenarios)  # one scenario a line, not one blob


def test_large_run_adds_findings_as_json_lines(monkeypatch, tmp_path, local_run):
    monkeypatch.setattr(json_report, "LARGE_RUN", 2)
    written = write_reports(local_run, tmp_path, ["json"])
    lines = [json.loads(line) for line in written["findings"].read_text(encoding="utf-8").splitlines()]
    assert len(lines) == sum(len(s.findings) for s in local_run.scenarios)
    assert {"subject", "scenario", "requirement", "outcome", "message"} <= set(lines[0])
