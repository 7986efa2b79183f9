"""--attendus: the run fails only on an unexpected failure or on an expected one that no longer occurs."""

import pytest
from lxml import html as lxml_html

from dui_conformance.expectations import Expectation, ExpectationsError, load_expectations, reconcile
from dui_conformance.model import EXIT_HARNESS, EXIT_NOT_CONFORMANT, EXIT_OK
from dui_conformance.report import ReportContext, render_html, render_markdown

INS01 = Expectation("INS-01", "Règle contestée auprès de l'ANS", "https://suivi.example/42")


def test_expected_failure_is_accepted_but_never_passing(failing_run):
    result = reconcile(failing_run, [INS01])
    assert result.exit_code == EXIT_OK and not result.unexpected and not result.stale
    assert [e for e, _ in result.met] == [INS01]
    # The run itself is unchanged: the failure stays a failure.
    assert failing_run.verdict == "non conforme"
    page = render_html(failing_run, ReportContext(expectations=[INS01]))
    tree = lxml_html.fromstring(page)
    assert tree.xpath("//section[@id='attendus']//article[@data-exigence='INS-01']")
    assert not tree.xpath("//section[@id='bloquants']//article[@data-exigence='INS-01']")
    assert tree.xpath("//tbody[tr/th='INS-01']")[0].get("data-outcome") == "fail"
    assert "Règle contestée" in render_markdown(failing_run, ReportContext(expectations=[INS01]))


def test_unexpected_and_stale_expectations_fail_the_run(failing_run, run):
    assert reconcile(failing_run, []).exit_code == EXIT_NOT_CONFORMANT
    stale = Expectation("DMP-24", "plus d'actualité", "https://suivi.example/1")
    result = reconcile(failing_run, [INS01, stale])
    assert result.stale == [stale] and result.exit_code == EXIT_NOT_CONFORMANT
    assert "à retirer du fichier" in render_markdown(failing_run, ReportContext(expectations=[INS01, stale]))
    # A harness error is never expected away.
    assert reconcile(run, [INS01]).exit_code == EXIT_HARNESS


def test_document_restriction_matches_the_end_of_the_path(failing_run):
    other = Expectation("INS-01", "r", "l", document="autre.xml")
    assert reconcile(failing_run, [other]).exit_code == EXIT_NOT_CONFORMANT
    same = Expectation("INS-01", "r", "l", document="ins/mauvais.xml")
    assert reconcile(failing_run, [same]).exit_code == EXIT_OK


def test_file_errors_name_each_entry(tmp_path):
    path = tmp_path / "attendus.toml"
    path.write_text(
        '[[attendu]]\nexigence = "INS-01"\nraison = "r"\nlien = "l"\n\n'
        '[[attendu]]\nexigence = "XXX-01"\nraison = ""\nautre = 1\n',
        encoding="utf-8",
    )
    with pytest.raises(ExpectationsError) as caught:
        load_expectations(path, known={"INS-01"})
    message = str(caught.value)
    for part in ("attendu n° 2", "« raison »", "« lien »", "clé(s) inconnue(s)", "XXX-01 absente"):
        assert part in message
    assert "attendu n° 1" not in message
    path.write_text("pas du toml = = =", encoding="utf-8")
    with pytest.raises(ExpectationsError, match="illisible"):
        load_expectations(path)
