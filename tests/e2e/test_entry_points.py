"""The mocks' entry points as processes: ``python -m dui_conformance.mocks.dui`` starts the reference DUI on
loopback, the INSi mock's prints its URL; both stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from dui_conformance.mocks.dui import ReferenceDui


@pytest.mark.live
def test_standalone_reference_dui():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dui_conformance.mocks.dui",
            "--insi",
            "http://127.0.0.1:9/lps",
            "--defaut",
            "sans-insi",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("DUI de référence à l'écoute : http://127.0.0.1:")
        url = line.split(" : ", 1)[1].strip()
        assert requests.get(url + "/sante", timeout=5).json()["statut"] == "disponible"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def test_unknown_defect_is_refused():
    with pytest.raises(ValueError, match="Défaut inconnu"):
        ReferenceDui("http://127.0.0.1:9/lps", frozenset({"tout-casse"}))


@pytest.mark.live
def test_standalone_entry_point_prints_url_and_stops_on_ctrl_c():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dui_conformance.mocks.insi"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("Téléservice INSi simulé à l'écoute : http://127.0.0.1:")
        url = line.split(" : ", 1)[1].strip()
        assert url.endswith("/lps")
        assert requests.get(url, timeout=5).status_code == 405
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
