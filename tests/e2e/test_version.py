"""The version comes from one place (pyproject.toml, read through the installed metadata)."""

import json
import subprocess
import sys
import zipfile
from importlib import metadata

import dui_conformance
from dui_conformance.fixtures import FIXTURES_DIR


def test_one_version_in_cli_report_and_evidence_pack(cli):
    version = metadata.version("dui-conformance")
    assert dui_conformance.__version__ == version
    shown = subprocess.run(
        [sys.executable, "-m", "dui_conformance", "--version"], capture_output=True, text=True, timeout=60
    )
    assert shown.stdout.split() == ["dui-conformance", version]
    run = cli("check", str(FIXTURES_DIR / "cda" / "ins"), name="version")
    assert run.report["tool"]["version"] == version
    with zipfile.ZipFile(run.report_dir / "evidence.zip") as pack:
        assert json.loads(pack.read("MANIFEST.json"))["outil"]["version"] == version
