"""Every finding message the offline plan writes, on every bundled fixture and on the official ANS examples
(when ../shared is there), reads as French for a person: no Python ``None``, no empty « », no « attendu «» »
(issue 17, item 6). A value that is absent is said to be absent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dui_conformance.execution.plan import evaluate_document
from dui_conformance.fixtures import FIXTURES_DIR
from dui_conformance.settings import RunSettings

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "ans-examples"
UNREADABLE = re.compile(r"\bNone\b|«\s*»|attendu «»", re.IGNORECASE)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".toml", ".py", ".pyc"))


def _scan(paths: list[Path]) -> list[str]:
    settings = RunSettings(mode="check")
    bad = []
    for path in paths:
        for scenario in evaluate_document(str(path), path.name, settings):
            bad += [
                f"{path.name} {f.requirement}: {f.message}" for f in scenario.findings if UNREADABLE.search(f.message)
            ]
    return bad


def test_fixture_messages_are_readable():
    paths = _files(FIXTURES_DIR)
    assert len(paths) > 50
    assert _scan(paths) == []


@pytest.mark.shared
@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/ans-examples absent")
def test_ans_example_messages_are_readable():
    assert _scan(_files(SHARED / "cda")) == []
