"""The command line's helpers (cli.py): the report's artefacts name the value sets' version."""

from dui_conformance.cda.valuesets import builtin_version


def test_report_artefacts_name_the_value_set_version():
    from dui_conformance.cli import _artefacts
    from dui_conformance.settings import RunSettings

    artefacts = _artefacts(RunSettings(mode="hors-ligne", inputs=[]))
    assert artefacts[0]["name"] == "Jeux de valeurs CI-SIS intégrés" and artefacts[0]["version"] == builtin_version()
