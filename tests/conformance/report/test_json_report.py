import io
import json
from dataclasses import replace

import pytest

from dui_conformance.model import SCHEMA_VERSION, RunResult
from dui_conformance.report import (
    SCHEMA_PATH,
    ReportVersionError,
    json_report,
    load_run,
    redact,
    render_json,
    write_reports,
)
from dui_conformance.report.json_report import write_json
from dui_conformance.requirements.waves import wave_referential


def _schema():
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_schema_tracks_model_version():
    assert _schema()["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_report_is_valid_against_schema(run, failing_run):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema absent : à ajouter aux extras de test")
    validator = jsonschema.Draft202012Validator(_schema())
    jsonschema.Draft202012Validator.check_schema(_schema())
    for sample in (run, failing_run):
        validator.validate(json.loads(render_json(sample)))


def test_schema_rejects_a_finding_without_location_fields(run):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema absent : à ajouter aux extras de test")
    data = json.loads(render_json(run))
    del data["requirements"][2]["findings"][0]["xpath"]
    assert not jsonschema.Draft202012Validator(_schema()).is_valid(data)


def test_report_json_round_trips(run, tmp_path):
    path = write_reports(run, tmp_path, ["json"])["json"]
    loaded = load_run(path)
    assert isinstance(loaded, RunResult)
    # write_reports masks secrets first: the round trip is exact on the redacted form.
    assert loaded.to_dict() == redact(run.to_dict())
    assert loaded.verdict == run.verdict == "erreur"
    finding = loaded.requirements[2].findings[0]
    assert (finding.location.xpath, finding.location.line) == (
        "/ClinicalDocument/recordTarget[1]/patientRole[1]/id[2]",
        42,
    )


def test_clean_run_round_trips_exactly(failing_run, tmp_path):
    loaded = load_run(write_reports(failing_run, tmp_path, ["json"])["json"])
    assert loaded.to_dict() == failing_run.to_dict()


def test_load_run_refuses_another_major_version(run, tmp_path):
    data = run.to_dict()
    data["schema_version"] = "2.0"
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReportVersionError, match="2.0"):
        load_run(path)


def test_lone_surrogate_does_not_break_writing(failing_run, tmp_path):
    failing_run.inputs.append("fichier-\udcff.xml")
    path = write_reports(failing_run, tmp_path, ["json"])["json"]
    assert json.loads(path.read_bytes().decode("utf-8"))["inputs"][-1] == "fichier-\udcff.xml"


def test_exchanges_recorded_by_mocks_fit_the_schema(failing_run):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema absent : à ajouter aux extras de test")
    from dui_conformance.exchanges import Exchange, HttpRequest

    exchange = Exchange("psc-0001", "PSC", "2025-01-15T10:00:01+00:00", HttpRequest("POST", "/token", {}, "x=1"))
    failing_run.exchanges.append(exchange.to_dict())
    jsonschema.Draft202012Validator(_schema()).validate(json.loads(render_json(failing_run)))


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


def test_report_names_the_referential_of_its_wave_and_reads_the_wave_back(run, tmp_path):
    second = replace(run, wave=2)
    data = json.loads(render_json(second))
    assert data["referentiel"] == wave_referential(2).to_dict() and list(data).index("referentiel") == 5
    out = io.StringIO()
    write_json(second, out)
    assert json.loads(out.getvalue())["referentiel"] == data["referentiel"]
    (tmp_path / "report.json").write_text(out.getvalue(), encoding="utf-8")
    assert load_run(tmp_path / "report.json").wave == 2
    del data["referentiel"]  # a report from before schema 1.2 judged vague 1
    assert RunResult.from_dict(data).wave == 1
