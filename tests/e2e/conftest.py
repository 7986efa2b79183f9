"""Run the real command line in a subprocess, as a user or a CI job would."""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def report(self) -> dict:
        return json.loads((self.report_dir / "report.json").read_text(encoding="utf-8"))

    def failing_ids_by_file(self, outcome: str = "fail") -> dict[str, set[str]]:
        failing: dict[str, set[str]] = {}
        for req in self.report["requirements"]:
            for finding in req["findings"]:
                if finding["outcome"] == outcome and finding["file"]:
                    # "archive.zip!member" points inside an archive: attribute it to the archive.
                    failing.setdefault(str(Path(finding["file"].split("!")[0]).resolve()), set()).add(req["id"])
        return failing


def run_cli(args: list[str], report_dir: Path, timeout: int = 240) -> CliRun:
    proc = subprocess.run(
        [sys.executable, "-m", "dui_conformance", *args, "--report-dir", str(report_dir), "--quiet"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliRun(proc.returncode, proc.stdout, proc.stderr, report_dir)


@pytest.fixture(scope="session")
def cli(tmp_path_factory):
    def _run(*args: str, name: str = "run", timeout: int = 240) -> CliRun:
        return run_cli(list(args), tmp_path_factory.mktemp(name), timeout)

    return _run
