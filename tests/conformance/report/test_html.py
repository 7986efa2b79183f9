import base64
import hashlib
import re
import time

from lxml import html as lxml_html

from dui_conformance.report import render_html

from ...support.reports import synthetic_run


def test_verdict_header_and_french_labels(run, failing_run):
    page = render_html(failing_run)
    assert "Verdict : ✘ non conforme" in page
    assert "Verdict : ⚠ erreur" in render_html(run)
    for text in (
        "homologation",
        "hors-ligne",
        "2025-01-15T10:00:00+01:00",
        "0.1.0",
        "Général",
        "Identité nationale de santé",
    ):
        assert text in page
    assert '<html lang="fr">' in page


def test_hostile_strings_are_escaped(run, hostile):
    page = render_html(run)
    assert hostile not in page
    assert page.count("<script") == 1  # only the shipped filter script
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; ]]&gt; &amp; &#34;guillemets&#34;" in page


def test_no_external_assets_and_script_pinned_by_csp(run):
    page = render_html(run)
    for target in re.findall(r"""(?:src|href|action)\s*=\s*["']?([^"'\s>]*)""", page, flags=re.IGNORECASE):
        assert target.startswith("#"), target
    assert "<link" not in page and "@import" not in page and "url(" not in page
    script = re.search(r"<script>(.*?)</script>", page, flags=re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page
    assert "default-src 'none'" in page


def test_structure_blocking_documents_requirements_exchanges(run):
    tree = lxml_html.fromstring(render_html(run))
    ins01 = tree.xpath("//tbody[tr/th='INS-01']")[0]
    assert ins01.get("data-outcome") == "fail"
    assert "✘ non conforme" in [c.text_content() for c in ins01.xpath(".//td")]
    # The blocking failure carries its evidence (location, XPath, excerpt) and its fix in one sentence.
    blocking = tree.xpath("//article[@data-exigence='INS-01']")[0]
    text = blocking.text_content()
    assert "/ClinicalDocument/recordTarget[1]/patientRole[1]/id[2]" in text and "ligne 42" in text
    assert blocking.xpath(".//pre")[0].text_content().startswith('<id root="1.2.250.1.213.1.4.10"')
    assert blocking.xpath(".//p[@class='correction']")[0].text_content().startswith("Correction : ")
    # Its document link leads to the document row, which lists the failure.
    doc_link = blocking.xpath(".//a[starts-with(@href, '#doc-')]")[0]
    row = tree.xpath(f"//tbody[@id='{doc_link.get('href')[1:]}']")[0]
    assert row.get("data-nom") == "fixtures/ins/mauvais.xml" and row.get("data-outcome") == "fail"
    # A finding pointing to an exchange links to its collapsible block.
    link = tree.xpath("//a[.='échange insi-0001']")[0]
    target = tree.xpath(f"//details[@id='{link.get('href')[1:]}']")[0]
    assert "rechercherInsAvecTraitsIdentite" in target.xpath("summary")[0].text_content()
    # Under it, the failures the library found on that exchange (the simulated services only record).
    assert [li.text_content() for li in target.xpath("ul/li")] == ["INS-03 : Le simulateur INSi n'a pas répondu."]
    assert "opération inconnue" in tree.xpath("//details[@id='ex-1']/summary")[0].text_content()
    # Artefacts are listed with their versions.
    assert "Schématrons CI-SIS" in tree.xpath("//section[@id='versions']")[0].text_content()
    for badge in tree.xpath("//span[contains(@class, 'badge')]"):
        assert badge.text_content().strip()


def test_passing_results_are_counts_not_findings(run):
    page = render_html(run)
    assert "Document lisible." not in page  # the GEN-01 pass finding
    gen01 = lxml_html.fromstring(page).xpath("//tbody[tr/th='GEN-01']")[0]
    assert "✔ 1" in gen01.text_content()


def test_anchors_are_unique(run):
    run.scenarios.append(run.scenarios[0])  # the same nodeid twice must not duplicate HTML ids
    run.exchanges.append(dict(run.exchanges[0]))
    ids = re.findall(r'\sid="([^"]+)"', render_html(run))
    assert len(ids) == len(set(ids))


def test_blocking_failure_on_an_exchange_shows_the_redacted_request_and_response(tmp_path):
    from dataclasses import replace

    from dui_conformance.model import Location, failed
    from dui_conformance.report import write_reports

    from ...support.reports import build_run

    run = build_run(with_error=False)
    run.exchanges = build_run().exchanges
    finding = failed("INS-01", "Matricule non demandé à l'INSi.", Location(exchange="insi-0001"))
    run.requirements = [replace(r, findings=[finding]) if r.id == "INS-01" else r for r in run.requirements]
    page = write_reports(run, tmp_path, ["html"])["html"].read_text(encoding="utf-8")
    article = lxml_html.fromstring(page).xpath("//article[@data-exigence='INS-01']")[0]
    shown = article.xpath(".//details[@class='echange']/pre")[0].text_content()
    assert "abcdef" not in shown and "SECRET" not in shown and "[masqué]" in shown
    assert "wsse:Password" in shown


def test_funding_block_is_fed_by_an_optional_input(failing_run):
    from dui_conformance.report import ReportContext

    assert 'id="financement"' not in render_html(failing_run)
    funding = {
        "eligible": False,
        "montant_total": 375000,
        "raisons": [{"regle": "R1", "statut": "refusé", "message": "m"}],
        "tranches": [{"part": 40, "montant": 150000, "condition": "c", "statut": "non remplie"}],
    }
    section = lxml_html.fromstring(render_html(failing_run, ReportContext(funding=funding))).xpath(
        "//section[@id='financement']"
    )[0]
    assert "non éligible" in section.text_content() and "375 000 €" in section.text_content()


def test_index_html_for_1000_documents_stays_under_3_mb():
    run = synthetic_run(1000)
    started = time.perf_counter()
    page = render_html(run)
    elapsed = time.perf_counter() - started
    size = len(page.encode("utf-8"))
    assert size <= 3 * 1024 * 1024, f"{size / 1e6:.2f} Mo"
    assert elapsed < 30, elapsed
    tree = lxml_html.fromstring(page)
    assert len(tree.xpath("//table[@id='table-documents']/tbody")) == 1000
    # Failures in full (100 documents fail INS-01), passes only as counts.
    assert len(tree.xpath("//article[@data-exigence='INS-01']//ol/li")) == 100
    assert "respectée sur ce document" not in page
