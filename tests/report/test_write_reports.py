import pytest

from dui_conformance.report import ALL_FORMATS, write_reports


def test_all_formats_are_written_without_secrets(run, tmp_path):
    written = write_reports(run, tmp_path / "sortie")
    assert set(written) == set(ALL_FORMATS) == {"json", "html", "junit", "cucumber", "markdown", "evidence"}
    assert sorted(p.name for p in written.values()) == sorted(
        ["report.json", "index.html", "junit.xml", "cucumber.json", "summary.md", "evidence.zip"]
    )
    for fmt, path in written.items():
        if fmt != "evidence":
            assert b"SECRET" not in path.read_bytes(), fmt


def test_subset_and_unknown_format(failing_run, tmp_path):
    assert list(write_reports(failing_run, tmp_path, ["markdown"])) == ["markdown"]
    assert [p.name for p in tmp_path.iterdir()] == ["summary.md"]
    with pytest.raises(ValueError, match="pdf"):
        write_reports(failing_run, tmp_path, ["json", "pdf"])


def test_empty_run_gives_valid_reports(tmp_path):
    from lxml import etree

    from dui_conformance.model import RunResult
    from dui_conformance.report import load_run, render_html, render_junit, render_markdown

    empty = RunResult("vide", "hors-ligne", "bac-a-sable", "local", "t0", "t1", [], [], [], {"version": "0.1.0"})
    assert load_run(write_reports(empty, tmp_path)["json"]).to_dict() == empty.to_dict()
    assert "Verdict : ? non concluant" in render_html(empty) and "bac à sable" in render_html(empty)
    assert etree.fromstring(render_junit(empty)).get("tests") == "0"
    assert "**non concluant**" in render_markdown(empty)


def test_evidence_packs_the_written_files(failing_run, tmp_path):
    """The pack is made of the reports just written (rendered once), byte for byte."""
    import io
    import zipfile

    from dui_conformance.report import build_evidence

    written = write_reports(failing_run, tmp_path, ["evidence", "json", "html", "markdown"])
    assert list(written)[-1] == "evidence"
    with zipfile.ZipFile(written["evidence"]) as pack:
        for fmt in ("json", "html", "markdown"):
            assert pack.read(written[fmt].name) == written[fmt].read_bytes(), fmt
    # Alone, or without the other formats, the pack has the same bytes as build_evidence's.
    alone = write_reports(failing_run, tmp_path / "seul", ["evidence"])
    assert list(alone) == ["evidence"] and alone["evidence"].read_bytes() == build_evidence(failing_run)
    assert written["evidence"].read_bytes() == build_evidence(failing_run)
    assert zipfile.ZipFile(io.BytesIO(build_evidence(failing_run))).namelist()[:3] == [
        "report.json",
        "index.html",
        "summary.md",
    ]


def test_redacting_item_by_item_equals_redacting_the_whole_run(run, failing_run):
    from dui_conformance.model import RunResult
    from dui_conformance.report import redact
    from dui_conformance.report.evidence import redact_run

    data = failing_run.to_dict()
    data["scenarios"][0]["error"] = "réponse : Authorization: Bearer abcdefSECRET123"
    leaky = RunResult.from_dict(data)
    for sample in (run, failing_run, leaky):
        assert redact_run(sample).to_dict() == redact(sample.to_dict())
    assert "SECRET" not in str(redact_run(leaky).to_dict()) and "SECRET" in str(leaky.to_dict())
    assert redact_run(failing_run) is failing_run or redact_run(failing_run).to_dict() == failing_run.to_dict()
