"""dui-conformance usage: the text marks example targets, and the exit codes."""

from dui_conformance.cli import main

from ..support.usage import ROW_A1, ROW_A2


def test_cli_text_marks_example_targets_and_exit_codes(capfd, csv_export, targets, monkeypatch):
    import io

    from rich.console import Console

    from dui_conformance import cli

    errors = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=errors, width=300))
    assert main(["usage", str(csv_export(ROW_A1, ROW_A2)), "--cibles", str(targets())]) == 0
    out = capfd.readouterr().out
    assert "cibles d'EXEMPLE" in out and "1 ESMS sur 1" in out
    assert (
        main(
            [
                "usage",
                str(csv_export("590000011;2022-01-01;2022-03-31;50;20;45;3;1;0;4;30")),
                "--cibles",
                str(targets()),
            ]
        )
        == 3
    )
    assert (
        main(
            [
                "usage",
                str(csv_export("590000011;2022-01-01;2022-03-31;50;-20;45;3;1;0;4;30")),
                "--cibles",
                str(targets()),
            ]
        )
        == 2
    )
    assert "ligne 2" in errors.getvalue() and "compte négatif" in errors.getvalue()
