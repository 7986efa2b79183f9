"""The command line's helpers (cli.py): the report's artefacts name the value sets' version."""

from dui_conformance.cda.valuesets import builtin_version


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
