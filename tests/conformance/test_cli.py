"""The command line's helpers (cli.py): the report's artefacts name the value sets' version."""

from pathlib import Path

from dui_conformance.cda.valuesets import builtin_version

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_report_artefacts_name_the_value_set_version():
    from dui_conformance.cli import _artefacts
    from dui_conformance.settings import RunSettings

    artefacts = _artefacts(RunSettings(mode="hors-ligne", inputs=[]))
    assert artefacts[0]["name"] == "Jeux de valeurs CI-SIS intégrés" and artefacts[0]["version"] == builtin_version()


def test_user_visible_text_is_printed_as_text_not_rich_markup(monkeypatch, tmp_path):
    """Rich markup eats bracketed text: « pip install 'dui-conformance[distribue]' » lost its extra, and a
    finding's « [KO Intégration système !] » subject could vanish. Every dynamic text is escaped or plain."""
    import io

    from rich.console import Console

    from dui_conformance import cli
    from dui_conformance.execution import ExecutorError

    out = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=out, width=200))

    def no_dask(*_args, **_kwargs):
        raise ExecutorError("Dask n'est pas installé : pip install 'dui-conformance[distribue]'.")

    monkeypatch.setattr(cli, "execute", no_dask)
    document = tmp_path / "doc.xml"
    document.write_text("<a/>", encoding="utf-8")
    assert cli.main(["check", str(document), "--report-dir", str(tmp_path / "r"), "-q"]) == cli.EXIT_USAGE
    assert "pip install 'dui-conformance[distribue]'" in out.getvalue()


def test_check_keys_the_report_on_a_rem_and_refuses_a_bad_mapping(monkeypatch, tmp_path):
    """``--referentiel-rem`` / ``--correspondances`` on check: the view by official id on the vendor's ids; a bad
    file is a usage error in French before anything runs."""
    import io
    import json

    from openpyxl import Workbook
    from rich.console import Console

    from dui_conformance import cli

    out = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=out, width=200))
    document = FIXTURES / "mss" / "message-ins-absent.eml"
    bad = tmp_path / "faux.toml"
    bad.write_text("[[mapping]]\nrequirement = 'MSS-04'\nofficial = 'X'\n", encoding="utf-8")
    args = ["check", str(document), "-q", "--formats", "json"]
    assert cli.main([*args, "--report-dir", str(tmp_path / "r1"), "--correspondances", str(bad)]) == cli.EXIT_USAGE
    assert "non déclaré" in out.getvalue() and not (tmp_path / "r1").exists()
    book = Workbook()
    book.active.append(["ID", "Exigence", "VA N-1"])
    book.active.append(["REM.TEST.14", "En-tête X-MSS-INS.", "SC.MSS/CONF.14"])
    book.save(tmp_path / "REM.xlsx")
    code = cli.main([*args, "--report-dir", str(tmp_path / "r2"), "--referentiel-rem", str(tmp_path / "REM.xlsx")])
    assert code == cli.EXIT_NOT_CONFORMANT
    view = json.loads((tmp_path / "r2" / "report.json").read_text(encoding="utf-8"))["official"]
    assert list(view["ids"]) == ["REM.TEST.14"] and view["ids"]["REM.TEST.14"]["outcome"] == "fail"
