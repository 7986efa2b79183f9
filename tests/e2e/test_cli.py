"""The command line keeps its promises: exit codes, report files, French messages."""

from pathlib import Path

import pytest

from dui_conformance.fixtures import FIXTURES_DIR


def test_check_hostile_inputs_gives_findings_and_exit_3(cli):
    run = cli("check", str(FIXTURES_DIR / "hostile"), name="hostile")
    assert run.code == 3, run.stderr
    for name in ("report.json", "index.html", "junit.xml", "cucumber.json", "summary.md", "evidence.zip"):
        assert (run.report_dir / name).is_file(), name
    report = run.report
    assert report["schema_version"] and report["verdict"] == "non conforme"
    gen02 = next(r for r in report["requirements"] if r["id"] == "GEN-02")
    lines = {Path(f["file"]).name: f["line"] for f in gen02["findings"] if f["outcome"] == "fail"}
    assert gen02["outcome"] == "fail" and lines == {
        "xxe-fichier.xml": 2,
        "xxe-reseau.xml": 2,
        "bombe-entites.xml": 2,
        "doctype-tardif.xml": 4,  # behind 70 KiB of comment
        "doctype-utf16.xml": None,  # decided by the parser; no byte search locates it in UTF-16
    }
    assert "Verdict" in run.stderr


def test_folder_with_one_unrecognised_file_exits_3_and_names_it(cli, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "dlu.xml").write_bytes((FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml").read_bytes())
    (folder / "export-inconnu.xml").write_text('<?xml version="1.0"?>\n<Bundle xmlns="urn:autre"/>\n')
    run = cli("check", str(folder), name="non-reconnu")
    assert run.code == 3 and run.report["verdict"] == "non conforme", run.stderr
    gen01 = next(r for r in run.report["requirements"] if r["id"] == "GEN-01")
    failing = [f for f in gen01["findings"] if f["outcome"] == "fail"]
    assert [Path(f["file"]).name for f in failing] == ["export-inconnu.xml"]
    assert "Document non reconnu" in failing[0]["message"] and "« Bundle »" in failing[0]["message"]
    assert "export-inconnu.xml" in run.stderr


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


def test_one_blocking_principle_across_profiles(cli):
    """recette blocks on every DOIT (a confidentiality code outside J08 fails the run); homologation
    makes the official referential mandatory: without it the run is never conforme."""
    valid = str(FIXTURES_DIR / "cda" / "dmp" / "dlu-valide.xml")
    run = cli("check", valid, "--profil", "recette", name="recette-valide")
    assert run.code == 0 and run.report["verdict"] == "conforme", run.stderr
    dmp30 = next(r for r in run.report["requirements"] if r["id"] == "DMP-30")
    assert dmp30["outcome"] == "omit"
    run = cli("check", valid, "--profil", "homologation", name="homologation-sans-referentiel")
    assert run.code == 3 and run.report["verdict"] == "non concluant"
    dmp30 = next(r for r in run.report["requirements"] if r["id"] == "DMP-30")
    assert dmp30["outcome"] == "skip" and dmp30["blocking"] and "homologation" in dmp30["findings"][0]["message"]
    run = cli("check", str(FIXTURES_DIR / "cda" / "dmp" / "dmp-25-confidentialite.xml"), name="recette-j08")
    assert run.code == 3 and run.report["verdict"] == "non conforme"


def test_requirements_a_run_does_not_concern_are_not_applicable(cli):
    """Only HL7 v2 messages: DMP requirements and live ones are « non applicable », with the reason;
    the run judged INS and is conforme."""
    run = cli("check", str(FIXTURES_DIR / "hl7v2" / "adt_a28_ins_qual.hl7"), name="hl7v2-seul")
    assert run.code == 0 and run.report["verdict"] == "conforme", run.stderr
    by_id = {r["id"]: r for r in run.report["requirements"]}
    assert by_id["DMP-01"]["outcome"] == "omit" and "document CDA R2" in by_id["DMP-01"]["findings"][0]["message"]
    assert by_id["INS-20"]["outcome"] == "omit" and "en direct" in by_id["INS-20"]["findings"][0]["message"]
    assert not [r for r in run.report["requirements"] if r["outcome"] == "not_run"]
    run = cli("check", str(FIXTURES_DIR / "hl7v2" / "adt_a28_ins_qual.hl7"), "--exigence", "GEN-01", name="gen-seul")
    assert run.code == 3 and run.report["verdict"] == "non concluant"


def test_size_limit_turns_a_large_file_into_insufficient_data(cli):
    target = FIXTURES_DIR / "fhir"
    run = cli("check", str(target), "--taille-max", "0.0005", name="taille")
    gen01 = next(r for r in run.report["requirements"] if r["id"] == "GEN-01")
    assert gen01["outcome"] == "skip"
    assert any("non analysé" in f["message"] for f in gen01["findings"])
    assert not [s for s in run.report["scenarios"] if s["outcome"] == "error"]


def test_report_json_of_a_real_run_matches_the_published_schema(cli):
    jsonschema = __import__("pytest").importorskip("jsonschema")
    import json

    from dui_conformance.report import SCHEMA_PATH

    run = cli("check", str(FIXTURES_DIR / "hostile"), str(FIXTURES_DIR / "cda" / "ins"), name="schema")
    jsonschema.validate(run.report, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def test_requirements_listing_and_coverage():
    import subprocess
    import sys

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "dui_conformance", "requirements", *args],
            capture_output=True,
            text=True,
            timeout=180,
        )

    listing = run("--service", "INS")
    assert listing.returncode == 0 and "INS-01" in listing.stdout and "DMP-01" not in listing.stdout
    coverage = run("--coverage")
    assert coverage.returncode == 0, coverage.stderr
    assert "exigences couvertes" in coverage.stderr


def _admin_token(proc) -> str:
    """The administration token ``dui-conformance mocks`` prints for its operator."""
    for _ in range(50):
        line = proc.stderr.readline()
        if "Jeton d'administration" in line:
            return line.rsplit(" : ", 1)[1].strip()
    raise AssertionError("jeton d'administration non affiché")


def test_mocks_command_serves_fixed_ports_until_stopped(tmp_path):
    import json
    import signal
    import socket
    import subprocess
    import sys
    import time

    import requests

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    services = tmp_path / "services.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dui_conformance", "mocks", "--port", f"insi={port}", "--sortie", str(services)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not services.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        urls = json.loads(services.read_text(encoding="utf-8"))
        assert f"127.0.0.1:{port}" in json.dumps(urls)
        url = f"http://127.0.0.1:{port}/_harness/exchanges"
        assert requests.get(url, timeout=5).status_code == 401  # the operator's only
        token = _admin_token(proc)
        assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def test_mocks_with_a_kept_pki_serve_tls_from_its_files(tmp_path):
    """``mocks --pki DOSSIER``: the PKI files made there (or reused), every HTTP service over TLS with them."""
    import json
    import signal
    import socket
    import subprocess
    import sys
    import time

    import requests

    from dui_conformance.mocks.common import TestPki

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    services, pki = tmp_path / "services.json", tmp_path / "pki"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dui_conformance",
            "mocks",
            "--port",
            f"insi={port}",
            "--sortie",
            str(services),
            "--pki",
            str(pki),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # a loaded CI machine starts the mocks and writes the PKI slowly
        while not services.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert services.exists(), proc.communicate(timeout=10) if proc.poll() is not None else "services absent"
        # written to a temporary file then renamed: once the name exists the file is whole, read it once
        urls = json.loads(services.read_text(encoding="utf-8"))
        files = TestPki.files_in(pki)
        assert urls["insi"]["url"].startswith(f"https://127.0.0.1:{port}") and urls["insi"]["tls"] == files
        answer = requests.get(
            f"https://127.0.0.1:{port}/_harness/exchanges",
            timeout=5,
            verify=files["racine"],
            cert=(files["certificat_client"], files["cle_client"]),
            headers={"Authorization": f"Bearer {_admin_token(proc)}"},
        )
        assert answer.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


ANS_CDA = Path(__file__).resolve().parents[2] / ".." / "shared" / "ans-examples" / "cda"


@pytest.mark.shared
@pytest.mark.skipif(not ANS_CDA.is_dir(), reason="../shared/ans-examples absent")
def test_official_examples_are_recognised_cda_documents(cli):
    """Every official ANS example is read as a CDA: GEN-01 and DMP-01 pass on each file, none fails."""
    run = cli("check", str(ANS_CDA), name="ans-examples")
    files = {str(p.resolve()) for p in ANS_CDA.glob("*.xml")}
    for rid in ("GEN-01", "GEN-02", "DMP-01"):
        req = next(r for r in run.report["requirements"] if r["id"] == rid)
        assert {str(Path(f["file"]).resolve()) for f in req["findings"] if f["outcome"] == "pass"} == files, rid
        assert not [f for f in req["findings"] if f["outcome"] == "fail"], rid
