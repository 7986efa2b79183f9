"""``--grappe``: the readiness report shows what the run means for the cluster's funding."""

import re
from pathlib import Path

from dui_conformance.fixtures import FIXTURES_DIR

EXAMPLE = Path(__file__).resolve().parents[2] / "conformance" / "funding" / "examples" / "grappe-exemple.yaml"


def _funding_text(report_dir: Path) -> str:
    html = (report_dir / "index.html").read_text(encoding="utf-8")
    start = html.index('id="financement"')
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start : html.index("</section>", start)]))


def test_a_cda_only_run_leaves_mssante_uncovered_so_conformity_is_not_met(cli):
    run = cli("check", str(FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml"), "--grappe", str(EXAMPLE), name="grappe")
    assert run.code == 0, run.stderr
    text = _funding_text(run.report_dir)
    assert "Financement" in text and "éligible" in text
    assert "MSSanté non couvert(s) par le rapport" in text


def test_a_blocking_dmp_failure_puts_the_conformity_condition_unmet(cli):
    run = cli(
        "check",
        str(FIXTURES_DIR / "cda" / "dmp" / "dmp-27-secteur-sa99.xml"),
        "--grappe",
        str(EXAMPLE),
        name="grappe-ko",
    )
    assert run.code == 3
    assert "exigences bloquantes en échec dans cette exécution (DMP : DMP-27" in _funding_text(run.report_dir)


def test_a_bad_cluster_file_is_a_usage_error_before_the_run(cli, tmp_path):
    bad = tmp_path / "grappe.yaml"
    bad.write_text("campagne: amorcage-2021\norganismes: 3\n", encoding="utf-8")
    run = cli("check", str(FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml"), "--grappe", str(bad), name="grappe-bad")
    assert run.code == 2
    assert not (run.report_dir / "report.json").exists()
