"""The readiness report in a real headless browser (Chromium from the distribution, driven by Playwright).

Skipped when Chromium or Playwright is absent; ``.ci/run`` installs both. Screenshots and the
printed PDF are kept under ``reports/captures/`` (git-ignored) for a human to look at.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dui_conformance.model import Location, Outcome, RunResult, ScenarioResult, StepResult, passed
from dui_conformance.report import write_reports
from dui_conformance.requirements import Catalogue, load_catalogue
from dui_conformance.runner import roll_up

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).is_file()), None)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CAPTURES = Path(__file__).resolve().parents[2] / "reports" / "captures"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium absent (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_report(browser, tmp_path):
    CAPTURES.mkdir(parents=True, exist_ok=True)
    pages = []

    def open_(run: RunResult, name: str):
        out = write_reports(run, tmp_path / name, ["html"])["html"]
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(out.as_uri())
        pages.append(page)
        return page, errors

    yield open_
    for page in pages:
        page.close()


def _passing_run() -> RunResult:
    doc = "/exports/dlu-1.xml"
    findings = [
        passed("INS-01", "Matricule INS valide.", Location(doc, "/hl7:ClinicalDocument", 3)),
        passed("DMP-01", "Document CDA R2.", Location(doc, "/hl7:ClinicalDocument", 3)),
    ]
    scenario = ScenarioResult(
        "plan::ok",
        "Plan",
        "plan.feature",
        "Contrôles",
        ["cda", "INS-01", "DMP-01"],
        ["INS-01", "DMP-01"],
        doc,
        [StepResult("Alors", "tout va bien", Outcome.PASS, 0.0, findings)],
    )
    catalogue = load_catalogue()
    catalogue = Catalogue([catalogue["INS-01"], catalogue["DMP-01"]])
    return RunResult(
        "ok",
        "check",
        "recette",
        "test",
        "t0",
        "t1",
        [doc],
        [scenario],
        roll_up(catalogue, [scenario], "recette"),
        {"name": "dui-conformance", "version": "0.1.0"},
    )


def _tile_verdicts(page) -> dict[str, str]:
    return {t.get_attribute("data-service"): t.get_attribute("data-verdict") for t in page.locator(".tuile").all()}


def test_tiles_render_for_a_passing_run(open_report):
    page, errors = open_report(_passing_run(), "passant")
    assert page.title().startswith("Rapport de préparation Ségur DUI")
    assert page.locator(".verdict").inner_text() == "Verdict : ✔ conforme"
    tiles = _tile_verdicts(page)
    assert tiles["INS"] == "conforme" and tiles["DMP"] == "conforme"
    assert tiles["MSS"] == tiles["PSC"] == tiles["EPRESCRIPTION"] == "non couvert"
    assert page.locator("#tuile-MSS").is_visible() and "non couvert" in page.locator("#tuile-MSS").inner_text()
    page.screenshot(path=str(CAPTURES / "passant.png"))
    assert not errors, errors


def test_failing_run_links_filter_and_print(open_report, failing_run, tmp_path):
    page, errors = open_report(failing_run, "echec")
    assert page.locator(".verdict").inner_text() == "Verdict : ✘ non conforme"
    assert _tile_verdicts(page)["INS"] == "non conforme"
    # The blocking failure is on the first screen with its fix and evidence.
    blocking = page.locator("article[data-exigence='INS-01']")
    assert "Correction :" in blocking.inner_text()
    page.screenshot(path=str(CAPTURES / "echec.png"))

    # Evidence link: the document link scrolls to the document row, which shows the failure.
    blocking.locator("a[href^='#doc-']").first.click()
    target = page.evaluate("location.hash")
    row = page.locator(target)
    assert row.get_attribute("data-nom") == "fixtures/ins/mauvais.xml" and row.is_visible()
    assert "INS-01" in row.inner_text()

    # Document filter: typing keeps only the matching rows; clearing it shows them all again.
    rows = page.locator("#table-documents > tbody")
    total = rows.count()
    assert total == 3
    search = page.locator("#documents input[type='search']")
    search.fill("valide")
    visible = [r.get_attribute("data-nom") for r in rows.all() if r.is_visible()]
    assert visible == ["fixtures/gen/valide.xml"]
    assert page.locator("#documents output").inner_text() == "1 ligne(s) affichée(s)"
    page.screenshot(path=str(CAPTURES / "filtre.png"), full_page=False)
    search.fill("")
    page.locator("#documents select").select_option("fail")
    assert [r.get_attribute("data-nom") for r in rows.all() if r.is_visible()] == ["fixtures/ins/mauvais.xml"]

    # Printing gives a readable, paginated document, with the filtered-out rows back.
    pdf = tmp_path / "rapport.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    shutil.copy(pdf, CAPTURES / "rapport.pdf")
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        pages = text.count("\f")
        assert pages >= 4, pages  # one page break per section
        for expected in (
            "Services socles",
            "Échecs bloquants",
            "Correction",
            "Documents",
            "fixtures/gen/valide.xml",
            "Exigences par service",
            "Versions des règles",
            "Échanges enregistrés",
        ):
            assert expected in text, expected
    assert not errors, errors


def test_exchange_link_opens_the_recorded_exchange(open_report, run):
    page, errors = open_report(run, "echanges")
    link = page.locator("a", has_text="échange insi-0001").first
    link.click()
    exchange = page.locator(page.evaluate("location.hash"))
    assert exchange.evaluate("e => e.tagName") == "DETAILS" and exchange.is_visible()
    assert "rechercherInsAvecTraitsIdentite" in exchange.inner_text()
    assert "SECRET" not in exchange.inner_text()  # redacted before writing
    assert not errors, errors
