import base64
import hashlib
import re

from lxml import html as lxml_html

from dui_conformance.report import render_html


def test_verdict_header_and_french_labels(run, failing_run):
    page = render_html(failing_run)
    assert "Verdict : ✘ non conforme" in page
    assert "Verdict : ⚠ erreur" in render_html(run)
    for text in ("homologation", "hors-ligne", "2025-01-15T10:00:00+01:00", "0.1.0", "Général", "Identité nationale de santé"):
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


def test_structure_requirements_findings_scenarios_exchanges(run):
    tree = lxml_html.fromstring(render_html(run))
    ins01 = tree.xpath("//tbody[th[@scope='row']='INS-01' or tr/th='INS-01']")[0]
    assert ins01.get("data-outcome") == "fail"
    cells = [c.text_content() for c in ins01.xpath(".//td")]
    assert "✘ non conforme" in cells and "oui" in cells
    assert "/ClinicalDocument/recordTarget[1]/patientRole[1]/id[2]" in cells and "42" in cells
    assert ins01.xpath(".//pre")[0].text_content().startswith('<id root="1.2.250.1.213.1.4.10"')
    # A finding pointing to an exchange links to its collapsible block.
    link = tree.xpath("//a[.='insi-0001']")[0]
    target = tree.xpath(f"//details[@id='{link.get('href')[1:]}']")[0]
    assert "rechercherInsAvecTraitsIdentite" in target.xpath("summary")[0].text_content()
    assert "CERT-ABSENT : Certificat client absent (INS-03)" in [li.text_content() for li in target.xpath("ul/li")]
    assert "opération inconnue" in tree.xpath("//details[@id='ex-1']/summary")[0].text_content()
    # Requirement → scenario link, and the scenario shows its steps.
    scenario_link = ins01.xpath(".//a[starts-with(@href, '#sc-')]")[0]
    scenario = tree.xpath(f"//details[@id='{scenario_link.get('href')[1:]}']")[0]
    assert "le matricule INS est valide" in scenario.text_content()
    # Artefacts and inputs are listed.
    assert "Schématrons CI-SIS" in tree.xpath("//section[@id='entrees']")[0].text_content()
    # Every requirement row shows its outcome as text, not only as a colour.
    for badge in tree.xpath("//span[contains(@class, 'badge')]"):
        assert badge.text_content().strip()


def test_anchors_are_unique(run):
    run.scenarios.append(run.scenarios[0])  # the same nodeid twice must not duplicate HTML ids
    run.exchanges.append(dict(run.exchanges[0]))
    ids = re.findall(r'\sid="([^"]+)"', render_html(run))
    assert len(ids) == len(set(ids))
