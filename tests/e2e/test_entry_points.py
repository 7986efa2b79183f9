"""The mocks' entry points as processes: ``python -m dui_conformance.mocks.dui`` starts the reference DUI on
loopback, the INSi mock's prints its URL; both stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from dui_conformance.mocks.dui import ReferenceDui


@contextmanager
def _serving(module: str, *args: str, banner: str) -> Iterator[str]:
    """Start ``python -m module``, yield the URL its first line announces after ``banner``, then check that Ctrl-C
    stops it cleanly (exit 0)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith(banner + " : http://127.0.0.1:")
        yield line.split(" : ", 1)[1].strip()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


@pytest.mark.live
def test_standalone_reference_dui():
    args = ("--insi", "http://127.0.0.1:9/lps", "--defaut", "sans-insi")
    with _serving("dui_conformance.mocks.dui", *args, banner="DUI de référence à l'écoute") as url:
        assert requests.get(url + "/sante", timeout=5).json()["statut"] == "disponible"


def test_unknown_defect_is_refused():
    with pytest.raises(ValueError, match="Défaut inconnu"):
        ReferenceDui("http://127.0.0.1:9/lps", frozenset({"tout-casse"}))


@pytest.mark.live
def test_standalone_entry_point_prints_url_and_stops_on_ctrl_c():
    with _serving("dui_conformance.mocks.insi", banner="Téléservice INSi simulé à l'écoute") as url:
        assert url.endswith("/lps")
        assert requests.get(url, timeout=5).status_code == 405
