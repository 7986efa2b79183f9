"""The command line keeps its promises: exit codes, report files, French messages."""

from conformance.fixtures import FIXTURES_DIR


def test_check_hostile_inputs_gives_findings_and_exit_3(cli):
    run = cli("check", str(FIXTURES_DIR / "hostile"), name="hostile")
    assert run.code == 3, run.stderr
    for name in ("report.json", "index.html", "junit.xml", "cucumber.json", "summary.md", "evidence.zip"):
        assert (run.report_dir / name).is_file(), name
    report = run.report
    assert report["schema_version"] and report["verdict"] == "non conforme"
    gen02 = next(r for r in report["requirements"] if r["id"] == "GEN-02")
    assert gen02["outcome"] == "fail" and all(f["line"] == 2 for f in gen02["findings"] if f["outcome"] == "fail")
    assert "Verdict" in run.stderr


def test_usage_errors_exit_2(cli, tmp_path):
    assert cli("check", str(tmp_path / "absent"), name="absent").code == 2
    assert cli("check", str(FIXTURES_DIR / "hostile"), "--formats", "pdf", name="badformat").code == 2
    run = cli("check", "--profil", "inconnu", str(FIXTURES_DIR), name="badprofile")
    assert run.code == 2 and "Erreur d'utilisation" in run.stderr


def test_profile_decides_what_blocks(cli):
    """GEN-01 blocks in every profile; a readable document passes it in all of them."""
    for profile in ("bac-a-sable", "recette", "homologation"):
        run = cli("check", str(FIXTURES_DIR / "hostile" / "encodage-faux.xml"), "--profil", profile, name=profile)
        assert run.code == 3
        assert run.report["profile"] == profile


def test_size_limit_turns_a_large_file_into_insufficient_data(cli):
    target = FIXTURES_DIR / "fhir"
    run = cli("check", str(target), "--taille-max", "0.0005", name="taille")
    gen01 = next(r for r in run.report["requirements"] if r["id"] == "GEN-01")
    assert gen01["outcome"] == "skip"
    assert any("non analysé" in f["message"] for f in gen01["findings"])
    assert not [s for s in run.report["scenarios"] if s["outcome"] == "error"]
