"""--attendus and compare through the real command line, as a CI job would gate on them."""

import json
import subprocess
import sys

from dui_conformance.fixtures import FIXTURES_DIR

BAD = FIXTURES_DIR / "cda" / "ins" / "ins01_cle_erronee.xml"  # fails INS-01 only (its MANIFEST.toml)


def _attendus(tmp_path, *entries: str):
    path = tmp_path / "attendus.toml"
    path.write_text(
        "\n".join(
            f'[[attendu]]\nexigence = "{rid}"\nraison = "connu"\nlien = "https://suivi.example/1"\n' for rid in entries
        ),
        encoding="utf-8",
    )
    return str(path)


def test_expected_failure_passes_stale_or_unexpected_fails(cli, tmp_path):
    expected = cli("check", str(BAD), "--attendus", _attendus(tmp_path, "INS-01"), name="attendu")
    assert expected.code == 0, expected.stderr
    assert expected.report["verdict"] == "non conforme"  # never reported as passing
    assert "Échecs attendus (1)" in (expected.report_dir / "summary.md").read_text(encoding="utf-8")
    assert 'id="attendus"' in (expected.report_dir / "index.html").read_text(encoding="utf-8")
    stale = cli("check", str(BAD), "--attendus", _attendus(tmp_path, "INS-01", "INS-05"), name="perime")
    assert stale.code == 3 and "INS-05 attendu en échec mais non constaté" in stale.stderr
    bad_file = cli("check", str(BAD), "--attendus", _attendus(tmp_path, "XYZ-01"), name="inconnu")
    assert bad_file.code == 2 and "XYZ-01" in bad_file.stderr


def test_expected_failure_of_another_wave_is_set_apart(cli, tmp_path):
    """One expected-results file for both waves: PSC-26 (vague 2 only) has no effect on a vague 1 run."""
    attendus = _attendus(tmp_path, "INS-01", "PSC-26")
    vague1 = cli("check", str(BAD), "--attendus", attendus, "--vague", "1", name="attendu-vague-1")
    assert vague1.code == 0, vague1.stderr
    assert "1 hors de la vague 1 jugée" in vague1.stderr and "PSC-26 attendu en échec, exigence que la vague 1" in (
        vague1.stderr
    )
    vague2 = cli("check", str(BAD), "--attendus", attendus, "--vague", "2", name="attendu-vague-2")
    assert vague2.code == 3 and "PSC-26 attendu en échec mais non constaté" in vague2.stderr


def _compare(a, b, *extra):
    return subprocess.run(
        [sys.executable, "-m", "dui_conformance", "compare", str(a / "report.json"), str(b / "report.json"), *extra],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compare_warns_when_the_waves_differ(cli):
    vague1 = cli("check", str(BAD), "--vague", "1", name="compare-vague-1")
    vague2 = cli("check", str(BAD), "--vague", "2", name="compare-vague-2")
    result = _compare(vague1.report_dir, vague2.report_dir)
    assert result.returncode == 0, result.stderr
    assert (
        "Attention : Rapports de vagues différentes, donc de référentiels différents : A a jugé « Vague 1 —"
        in " ".join(result.stdout.split())
    )
    assert "PSC-26" in result.stdout and "ni régression ni correction" in " ".join(result.stdout.split())
    assert _compare(vague1.report_dir, vague1.report_dir).stdout.count("Attention") == 0


def test_compare_exits_3_on_regression(cli):
    good = cli("check", str(FIXTURES_DIR / "cda" / "ins" / "ins_valide_nom_compose.xml"), name="bon")
    bad = cli("check", str(FIXTURES_DIR / "cda" / "ins" / "ins01_cle_erronee.xml"), name="mauvais")
    regressed = _compare(good.report_dir, bad.report_dir, "--format", "json")
    assert regressed.returncode == 3, regressed.stderr
    data = json.loads(regressed.stdout)
    assert "INS-01" in {c["exigence"] for c in data["regressions"]}
    fixed = _compare(bad.report_dir, good.report_dir)
    assert fixed.returncode == 0 and "Corrections" in fixed.stdout and "INS-01" in fixed.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "dui_conformance", "compare", "absent.json", "absent.json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2
