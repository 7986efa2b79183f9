from dui_conformance.report import render_markdown


def test_summary_mentions_verdict_and_blocking_failures(failing_run):
    text = render_markdown(failing_run)
    assert text.startswith("## Conformité Ségur DUI : ✘ **non conforme**")
    assert "Exigences bloquantes non conformes (1)" in text
    assert "**INS\\-01**" in text or "**INS-01**" in text
    assert "| Identité nationale de santé | 0 | 1 | 1 | 0 | 0 | 0 |" in text


def test_summary_escapes_hostile_text(run):
    text = render_markdown(run)
    assert "**erreur**" in text and "Erreurs du harnais (1)" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\]\\]&gt;" in text
