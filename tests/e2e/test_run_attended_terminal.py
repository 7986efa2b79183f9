"""Attended mode end to end with the real command line under a pseudo-terminal (issue 7, point 6).

The test plays the tester: it reads the French instructions on the terminal, performs each admission in
the DUI (the reference DUI in its own process, operated through its adapter as a person would through its
screens), and answers the questions typed on the terminal.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pexpect
import pytest
import requests

pytestmark = pytest.mark.live

ADMIT = re.compile(r"Admettez (M\.|Mme) (\S+) (.+?), née? le (\S+?)(?: \(lieu de naissance (\w+)\))? en saisissant "
                   r"ses traits, (?:sur présentation de la pièce d'identité « (\w+) »|sans pièce d'identité)")


@pytest.fixture
def reference_dui_process(free_ports):
    insi, dmp, dui = free_ports(3)
    proc = subprocess.Popen([sys.executable, "-m", "dui_conformance.mocks.dui", "--insi", f"http://127.0.0.1:{insi}/lps",
                             "--dmp", f"http://127.0.0.1:{dmp}/dmp", "--port", str(dui)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{dui}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/sante", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url, insi, dmp
    proc.terminate()
    proc.wait(timeout=10)


def test_attended_run_in_a_terminal(reference_dui_process, tmp_path):
    url, insi, dmp = reference_dui_process
    config = tmp_path / "dui.toml"
    config.write_text(f'[dui]\nmode = "accompagne"\nadapter_url = "{url}"\nattente_s = 20\n\n'
                      f"[services]\ninsi = {insi}\ndmp = {dmp}\n", encoding="utf-8")
    reports = tmp_path / "rapport"
    child = pexpect.spawn(sys.executable, ["-m", "dui_conformance", "run", "--dui", str(config), "--exigence", "INS-24",
                                           "--report-dir", str(reports), "--quiet"],
                          encoding="utf-8", timeout=60, dimensions=(50, 500), cwd=str(tmp_path))
    admitted, seen_countdown = [], False
    try:
        while True:
            found = child.expect([r"Action à réaliser dans le DUI\S*\s*: (.+?\(attente maximale : \d+ s\))",
                                  r"attente :\s+\d+ s restantes", r"a-t-il affiché une erreur[^\[]*\[o/n\]",
                                  r"Identifiant dans le DUI de .*?adaptateur\)", pexpect.EOF])
            if found == 0:
                match = ADMIT.search(child.match.group(1))
                assert match, child.match.group(1)
                civility, birth_name, first_names, birth_date, place, piece = match.groups()
                body = {"nomNaissance": birth_name, "prenoms": first_names.split(), "sexe": "F" if civility == "Mme" else "M",
                        "dateNaissance": birth_date, "lieuNaissance": place, "pieceIdentite": piece}
                admitted.append(requests.post(f"{url}/residents", json=body, timeout=10).json()["id"])
            elif found == 1:
                seen_countdown = True
            elif found == 2:
                child.sendline("n")
            elif found == 3:
                child.sendline(admitted[-1])
            else:
                break
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert len(admitted) == 2 and seen_countdown
    report = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    outcome = {r["id"]: r["outcome"] for r in report["requirements"]}
    assert outcome["INS-24"] == "pass"


def test_attended_run_without_a_terminal_is_a_usage_error_at_once(tmp_path):
    config = tmp_path / "dui.toml"
    config.write_text('[dui]\nmode = "accompagne"\nexport_dir = "exports"\n', encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "dui_conformance", "run", "--dui", str(config),
                           "--report-dir", str(tmp_path / "r")],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, start_new_session=True,
                          cwd=str(tmp_path))
    assert proc.returncode == 2
    assert "exige un terminal" in " ".join((proc.stdout + proc.stderr).split())
    assert time.monotonic() - started < 30 and not (tmp_path / "r" / "report.json").exists()
