"""`dui-conformance run --dui CONFIG`: the vendor path, with the DUI in its own process.

The reference DUI stands in for a vendor's test build: started first, pointed at the fixed
ports that the configuration gives the simulated services, then driven through its adapter.
"""

import subprocess
import sys
import time

import pytest
import requests

from dui_conformance.mocks.common import TestPki
from dui_conformance.mocks.dui import DEFECTS

pytestmark = pytest.mark.live


@pytest.fixture
def vendor_dui(tmp_path, free_ports):
    """The reference DUI in its own process, configured before the run as a vendor's build is: fixed ports, the
    kept test PKI folder (made here first, as ``dui-conformance mocks --pki`` would), TLS to every service."""

    def start(*defects: str):
        insi, dmp, psc, smtps, imaps, dui = free_ports(6)
        pki = tmp_path / "pki"
        TestPki(pki)
        realm = f"https://127.0.0.1:{psc}/auth/realms/esante-wallet"
        args = [
            sys.executable,
            "-m",
            "dui_conformance.mocks.dui",
            "--insi",
            f"https://127.0.0.1:{insi}/lps",
            "--dmp",
            f"https://127.0.0.1:{dmp}/dmp",
            "--psc",
            realm + "/.well-known/wallet-openid-configuration",
            "--pki",
            str(pki),
            "--mss-smtps",
            f"smtps://127.0.0.1:{smtps}",
            "--mss-imaps",
            f"imaps://127.0.0.1:{imaps}",
            "--port",
            str(dui),
        ]
        for defect in defects:
            args += ["--defaut", defect]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{dui}/sante", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        config = tmp_path / "dui.toml"
        base = f"http://127.0.0.1:{dui}"
        config.write_text(
            f'[dui]\nmode = "adaptateur"\nadapter_url = "{base}"\ntls = true\n\n'
            f"[services]\ninsi = {insi}\ndmp = {dmp}\npsc = {psc}\nmss = {smtps}\nmss_imaps = {imaps}\n"
            'pki = "pki"\n\n[mss]\nbal = "dui@ehpad-les-tilleuls.mssante.fr"\n\n'
            f'[psc]\nconnexion_url = "{base}/psc/connexion"\ndeconnexion_url = "{base}/psc/deconnexion"\n'
            f'redirect_uris = ["{base}/psc/retour"]\npost_logout_redirect_uris = ["{base}/psc/fin-de-session"]\n'
            "attente_s = 0.5\n",
            encoding="utf-8",
        )
        return config

    started: list[subprocess.Popen] = []
    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


def _failing(run) -> set[str]:
    return {r["id"] for r in run.report["requirements"] if r["outcome"] == "fail"}


def test_run_against_a_conformant_dui_in_another_process(cli, vendor_dui, tmp_path):
    config = vendor_dui()
    run = cli("run", "--dui", str(config), "--sortie-services", str(tmp_path / "services.json"), name="vendor")
    assert run.code == 0, run.stderr
    assert _failing(run) == set()
    assert (tmp_path / "services.json").is_file()
    assert any(s["subject"] == "session directe" for s in run.report["scenarios"])
    by_id = {r["id"]: r for r in run.report["requirements"]}
    psc = [r for r in by_id.values() if r["service"] == "PSC"]
    assert psc and all(r["outcome"] == "pass" for r in psc), [(r["id"], r["outcome"]) for r in psc]
    # over TLS from the kept PKI, with MSSanté: transport and MSSanté requirements decided, and passed
    decided = {i: by_id[i]["outcome"] for i in ("GEN-10", "GEN-11", "GEN-12", "MSS-20", "MSS-21", "MSS-22", "MSS-23")}
    assert set(decided.values()) == {"pass"}, decided
    assert run.report["verdict"] == "conforme"


def test_run_catches_a_defective_dui_in_another_process(cli, vendor_dui, tmp_path):
    config = vendor_dui("traits-alteres")
    run = cli("run", "--dui", str(config), "--sortie-services", str(tmp_path / "s.json"), name="vendor-defect")
    assert run.code == 3, run.stderr
    assert _failing(run) == DEFECTS["traits-alteres"].fails


def test_bad_configuration_is_a_usage_error(cli, tmp_path):
    config = tmp_path / "dui.toml"
    config.write_text(
        '[dui]\nmode = "adaptateur"\nadapter_url = "http://127.0.0.1:9"\n[services]\nmsss = 1\n', encoding="utf-8"
    )
    run = cli("run", "--dui", str(config), name="badconf")
    assert run.code == 2 and "inconnus" in run.stderr


def test_an_adapter_that_does_not_answer_stops_the_run_before_any_scenario(cli, tmp_path):
    """Preflight (issue 7, point 9): one French message and exit 2, not one harness error per requirement."""
    config = tmp_path / "dui.toml"
    config.write_text('[dui]\nmode = "adaptateur"\nadapter_url = "http://127.0.0.1:9"\n', encoding="utf-8")
    run = cli("run", "--dui", str(config), "--sortie-services", str(tmp_path / "s.json"), name="preflight")
    assert run.code == 2
    assert "l'adaptateur du DUI ne répond pas à http://127.0.0.1:9" in " ".join((run.stdout + run.stderr).split())
    assert not (run.report_dir / "report.json").exists()
