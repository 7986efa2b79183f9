"""--attendus: the run fails only on an unexpected failure or on an expected one that no longer occurs."""

from dataclasses import replace

import pytest
from lxml import html as lxml_html

from dui_conformance.expectations import Expectation, ExpectationsError, load_expectations, reconcile
from dui_conformance.model import EXIT_HARNESS, EXIT_NOT_CONFORMANT, EXIT_OK
from dui_conformance.report import ReportContext, render_html, render_markdown
from dui_conformance.requirements import load_catalogue

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


def test_expectation_on_a_requirement_of_another_wave_has_no_effect(failing_run):
    """One file for the runs of both waves: PSC-26 (vague 2 only) is neither met nor stale in a vague 1 run."""
    vague2 = Expectation("PSC-26", "Niveau eidas2 accepté à la prochaine version", "https://suivi.example/7")
    result = reconcile(failing_run, [INS01, vague2])
    assert failing_run.wave == 1 and result.other_wave == [vague2]
    assert not result.stale and result.exit_code == EXIT_OK
    context = ReportContext(expectations=[INS01, vague2])
    assert "Attendus hors de la vague 1 jugée (1)" in render_markdown(failing_run, context)
    tree = lxml_html.fromstring(render_html(failing_run, context))
    assert tree.xpath("//section[@id='attendus']//ul[@class='hors-vague']/li[@data-exigence='PSC-26']")
    # In the wave that judges it, the same entry is an expected failure that did not occur: stale.
    in_wave = reconcile(replace(failing_run, wave=2), [INS01, vague2])
    assert in_wave.stale == [vague2] and not in_wave.other_wave and in_wave.exit_code == EXIT_NOT_CONFORMANT


def test_the_run_catalogue_says_which_wave_a_requirement_belongs_to(failing_run, tmp_path):
    """A requirement of an extra --catalogue folder is placed in its wave by the catalogue the run used."""
    (tmp_path / "extra.toml").write_text(
        '[[requirement]]\nid = "GEN-900"\nservice = "GEN"\nlevel = "DOIT"\nstatement = "Exigence locale."\n'
        'source = "Référentiel local"\nvagues = [2]\n',
        encoding="utf-8",
    )
    catalogue = load_catalogue([tmp_path])
    local = Expectation("GEN-900", "r", "l")
    assert reconcile(failing_run, [INS01, local], catalogue).other_wave == [local]
    assert reconcile(failing_run, [INS01, local]).stale == [local]  # the built-in catalogue does not know it
