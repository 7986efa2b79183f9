"""Fixtures shared across folders (pytest hands a fixture to the tests below its conftest.py, so one used by a
unit test under tests/conformance and an end-to-end test under tests/e2e lives here; their builders live in
tests/support)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest

from dui_conformance.cda import CdaContext
from dui_conformance.funding import evaluate, get_ruleset
from dui_conformance.model import RunResult
from dui_conformance.runner import Execution, execute

from .support.funding import SOLUTION, all_esms, make_cluster, reason, write_yaml
from .support.reports import HOSTILE, build_run
from .support.runs import fixture_settings
from .support.usage import HEADER, Cluster, evidence_cluster

EXAMPLES = Path(__file__).resolve().parents[1] / "conformance" / "funding" / "examples"


@pytest.fixture
def free_ports():
    """``free_ports(n)``: n loopback ports free right now (for services started on fixed ports)."""

    def pick(count: int) -> list[int]:
        sockets = [socket.socket() for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        ports = [sock.getsockname()[1] for sock in sockets]
        for sock in sockets:
            sock.close()
        return ports

    return pick


# The services file and the kept PKI written whole (tests/conformance/live/test_environment.py, tests/mocks/common).


@pytest.fixture
def renames(monkeypatch):
    """Every os.replace, with what the target held and what the temporary file held at that moment."""
    seen, real = [], os.replace

    def spy(src, dst):
        before = open(dst, "rb").read() if os.path.exists(dst) else None
        seen.append((os.fspath(src), os.fspath(dst), open(src, "rb").read(), before))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    return seen


# CDA: the built-in context (tests/conformance/test_cda.py, tests/conformance/cda, tests/e2e/test_cda_examples.py).


@pytest.fixture(scope="session")
def ctx() -> CdaContext:
    return CdaContext.build()


# Reports: a small hand-built run (tests/conformance, tests/e2e/test_report_browser.py).


@pytest.fixture
def run() -> RunResult:
    return build_run()


@pytest.fixture
def failing_run() -> RunResult:
    """Same run without the harness error: the verdict is then « non conforme »."""
    return build_run(with_error=False)


@pytest.fixture
def hostile() -> str:
    return HOSTILE


# The engine: the fixtures evaluated once (tests/conformance/execution, results, report; tests/e2e).


@pytest.fixture(scope="session")
def local_run():
    """The fixtures evaluated in this process (the reference for the other executors)."""
    return execute(Execution(fixture_settings(), jobs=1))


# Funding: clusters judged by the default rule set (tests/conformance/funding, tests/e2e/test_cli_funding.py).


@pytest.fixture(scope="session")
def ruleset():
    return get_ruleset("amorcage-2021")


@pytest.fixture
def judge(ruleset):
    def _judge(cluster, **kwargs):
        return evaluate(cluster, kwargs.pop("rules", ruleset), "test", **kwargs)

    return _judge


@pytest.fixture
def fx(judge):
    """The builders of tests/support/funding.py and ``judge``, as one fixture."""
    return SimpleNamespace(
        make=make_cluster, esms=all_esms, judge=judge, reason=reason, write_yaml=write_yaml, solution=SOLUTION
    )


# Usage: exports written on the fly, a header and rows, as a DUI would export them (tests/conformance/test_usage.py,
# tests/e2e/test_cli_usage.py).


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def csv_export(tmp_path):
    def _write(*rows: str, header: str = HEADER, name: str = "export.csv") -> Path:
        path = tmp_path / name
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        return path

    _write.header = HEADER  # tests derive bad headers from it
    return _write


@pytest.fixture
def targets(tmp_path):
    def _write(
        text: str = "exemple: true\ntitre: EXEMPLE\ncibles:\n  part_ins_qualifiee: 0.5\n  mss_envoyes: 1\n",
    ) -> Path:
        path = tmp_path / "cibles.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def usage_evidence(tmp_path) -> Cluster:
    """A cluster of evidence whose counts are known (tests/support/usage.py), for usage's unit and CLI tests."""
    return evidence_cluster(tmp_path)
